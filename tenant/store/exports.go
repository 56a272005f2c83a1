package store

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/xuri/excelize/v2"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
)

// NeutraliseCell makes a cell safe to open in a spreadsheet: a value a
// spreadsheet would execute (starting with = + - @, tab or CR) gets a
// leading apostrophe, which spreadsheets show as text and our import
// removes again, so "+98 912 …" and "-120" read back exactly. A value
// that already starts with an apostrophe gets one more, so the round trip
// is exact for every value.
func NeutraliseCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		return "'" + s
	}
	return s
}

// UnneutraliseCell undoes NeutraliseCell: one leading apostrophe before a
// character NeutraliseCell would have escaped is dropped.
func UnneutraliseCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r', '\'':
			return s[1:]
		}
	}
	return s
}

// TableWriter writes an export, row by row.
type TableWriter interface {
	Write(cells []string) error
	Close() error
}

// NewTableWriter writes CSV (UTF-8 with a byte-order mark, which Excel
// needs to read Persian) or XLSX to w. Every cell is neutralised.
func NewTableWriter(w io.Writer, format string) (TableWriter, error) {
	switch format {
	case "csv":
		if _, err := w.Write([]byte("\ufeff")); err != nil {
			return nil, err
		}
		return &csvTable{w: csv.NewWriter(w)}, nil
	case "xlsx":
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return nil, err
		}
		return &xlsxTable{f: f, sw: sw, out: w}, nil
	}
	return nil, core.Invalid(map[string]string{"format": "must be csv or xlsx"})
}

type csvTable struct{ w *csv.Writer }

func (t *csvTable) Write(cells []string) error {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = NeutraliseCell(c)
	}
	return t.w.Write(out)
}

func (t *csvTable) Close() error { t.w.Flush(); return t.w.Error() }

type xlsxTable struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	out io.Writer
	n   int
}

func (t *xlsxTable) Write(cells []string) error {
	t.n++
	row := make([]any, len(cells))
	for i, c := range cells {
		// Strings, never numbers: amounts keep every digit.
		row[i] = excelize.Cell{Value: NeutraliseCell(c)}
	}
	cell, err := excelize.CoordinatesToCellName(1, t.n)
	if err != nil {
		return err
	}
	return t.sw.SetRow(cell, row)
}

func (t *xlsxTable) Close() error {
	defer t.f.Close()
	if err := t.sw.Flush(); err != nil {
		return err
	}
	_, err := t.f.WriteTo(t.out)
	return err
}

// ExportCustomers writes the customers the filter selects, as the list
// shows them (same filters, same own-records scope), in the columns
// ImportColumns[customers] plus cf.<key> for each custom field. It
// returns how many rows it wrote.
func (s *Store) ExportCustomers(ctx context.Context, f core.CustomerFilter, w TableWriter) (int, error) {
	var defs []core.CustomFieldDef
	if err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		defs, err = customFieldDefs(ctx, tx, "customer")
		return err
	}); err != nil {
		return 0, err
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Key < defs[j].Key })
	header := append([]string(nil), ImportColumns[ImportCustomers]...)
	for _, d := range defs {
		header = append(header, "cf."+d.Key)
	}
	if err := w.Write(header); err != nil {
		return 0, err
	}
	f.Cursor, f.Limit = "", 200
	n := 0
	for {
		page, err := s.Customers(ctx, f)
		if err != nil {
			return n, err
		}
		for _, c := range page.Items {
			var groups, specs []string
			for _, g := range c.Groups {
				groups = append(groups, g.Name)
			}
			for _, sp := range c.Specialties {
				specs = append(specs, sp.Name)
			}
			owner := ""
			if c.OwnerID != nil {
				owner = c.OwnerID.String()
			}
			row := []string{lrDeref(c.ExternalRef), c.Name, c.Email, c.Phone, c.Website, c.VATID, string(c.Status), c.Source, owner,
				c.Billing.Street, c.Billing.City, c.Billing.Province, c.Billing.PostalCode, c.Billing.Country,
				c.Shipping.Street, c.Shipping.City, c.Shipping.Province, c.Shipping.PostalCode, c.Shipping.Country,
				fmt.Sprint(c.ValueAddedDeals), strings.Join(groups, ListSeparator), strings.Join(specs, ListSeparator)}
			for _, d := range defs {
				row = append(row, customCell(c.Custom[d.Key]))
			}
			if err := w.Write(row); err != nil {
				return n, err
			}
			n++
		}
		if page.NextCursor == "" || ctx.Err() != nil {
			return n, ctx.Err()
		}
		f.Cursor = page.NextCursor
	}
}

func customCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ListSeparator)
	}
	return fmt.Sprint(v)
}

// ExportInvoices writes invoices (one row per line; an invoice without
// lines has one row with empty line cells) in ImportColumns[invoices]. The
// customer is named by customer_ref (its external_ref) and customer_id.
func (s *Store) ExportInvoices(ctx context.Context, f LinkFilter, w TableWriter) (int, error) {
	if err := w.Write(ImportColumns[ImportInvoices]); err != nil {
		return 0, err
	}
	n := 0
	err := s.exportPages(ctx, f, "invoices", func(tx *sqlx.Tx, ids []string) error {
		type lineRow struct {
			core.InvoiceLine
			InvoiceID uuid.UUID `db:"invoice_id"`
		}
		var lines []lineRow
		if err := tx.SelectContext(ctx, &lines, `select invoice_id, `+invoiceLineCols+` from invoice_lines where invoice_id = any($1::uuid[]) order by invoice_id, position`, pq.Array(ids)); err != nil {
			return err
		}
		byInv := map[uuid.UUID][]core.InvoiceLine{}
		for _, l := range lines {
			byInv[l.InvoiceID] = append(byInv[l.InvoiceID], l.InvoiceLine)
		}
		var invs []struct {
			core.Invoice
			CustomerRef *string `db:"customer_ref"`
		}
		if err := tx.SelectContext(ctx, &invs, `select i.id, i.customer_id, i.number, i.kind, i.credit_of, i.issued_on, i.due_on, i.currency, i.total,
			i.paid_total, i.status, i.external_ref, i.created_at, i.updated_at, c.external_ref as customer_ref
			from invoices i join customers c on c.id = i.customer_id where i.id = any($1::uuid[]) order by i.id`, pq.Array(ids)); err != nil {
			return err
		}
		for _, inv := range invs {
			due := ""
			if inv.DueOn != nil {
				due = inv.DueOn.String()
			}
			head := []string{lrDeref(inv.CustomerRef), inv.CustomerID.String(), inv.Number, inv.Kind, inv.IssuedOn.String(), due,
				inv.Currency, core.FormatMoney(inv.Total, inv.Currency), fmt.Sprint(inv.Status == "cancelled"), lrDeref(inv.ExternalRef)}
			ls := byInv[inv.ID]
			if len(ls) == 0 {
				if err := w.Write(append(head, "", "", "", "")); err != nil {
					return err
				}
				n++
			}
			for _, l := range ls {
				if err := w.Write(append(append([]string(nil), head...), l.Product, l.Category, l.Quantity.String(), core.FormatMoney(l.UnitPrice, inv.Currency))); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}

// ExportPayments writes payments in ImportColumns[payments].
func (s *Store) ExportPayments(ctx context.Context, f LinkFilter, w TableWriter) (int, error) {
	if err := w.Write(ImportColumns[ImportPayments]); err != nil {
		return 0, err
	}
	n := 0
	err := s.exportPages(ctx, f, "payments", func(tx *sqlx.Tx, ids []string) error {
		var ps []struct {
			core.Payment
			CustomerRef *string `db:"customer_ref"`
		}
		if err := tx.SelectContext(ctx, &ps, `select p.id, p.customer_id, p.invoice_id, p.invoice_number, p.invoice_ref, p.amount, p.currency,
			p.paid_on, p.method, p.transaction_id, p.external_ref, p.created_at, p.updated_at, c.external_ref as customer_ref
			from payments p left join customers c on c.id = p.customer_id where p.id = any($1::uuid[]) order by p.id`, pq.Array(ids)); err != nil {
			return err
		}
		for _, p := range ps {
			cust := ""
			if p.CustomerID != nil {
				cust = p.CustomerID.String()
			}
			number := p.InvoiceNumber
			if number == "" && p.InvoiceID != nil {
				if err := tx.GetContext(ctx, &number, `select number from invoices where id = $1`, *p.InvoiceID); err != nil {
					return err
				}
			}
			if err := w.Write([]string{lrDeref(p.CustomerRef), cust, number, p.InvoiceRef, core.FormatMoney(p.Amount, p.Currency), p.Currency,
				p.PaidOn.String(), p.Method, p.TransactionID, lrDeref(p.ExternalRef)}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// exportPages walks the ids a linked list selects (same filter and scope
// as the list), oldest first, 1,000 at a time, each page in its own read transaction.
func (s *Store) exportPages(ctx context.Context, f LinkFilter, table string, page func(tx *sqlx.Tx, ids []string) error) error {
	sc, err := lrScopeOf(ctx)
	if err != nil {
		return err
	}
	// Oldest first, so that importing an export creates records in the
	// same order; the list's cursor does not apply to an export.
	var cursor *uuid.UUID
	statusCol := "status"
	if table == "payments" {
		statusCol = "method"
	}
	for {
		var ids []uuid.UUID
		err := tenant.ReadTx(ctx, s.db, func(tx *sqlx.Tx) error {
			if f.CustomerID != nil {
				if err := sc.customerVisible(ctx, tx, *f.CustomerID); err != nil {
					return err
				}
			}
			if err := tx.SelectContext(ctx, &ids, `select id from `+table+` where `+lrScopeCond("customer_id")+`
				and ($3::uuid is null or customer_id = $3)
				and (cardinality($4::text[]) = 0 or `+statusCol+` = any($4))
				and ($5::uuid is null or id > $5)
				order by id limit 1000`, sc.args(f.CustomerID, pq.Array(lrNonNil(f.Status)), cursor)...); err != nil {
				return err
			}
			if len(ids) == 0 {
				return nil
			}
			strs := make([]string, len(ids))
			for i, id := range ids {
				strs[i] = id.String()
			}
			return page(tx, strs)
		})
		if err != nil {
			return err
		}
		if len(ids) < 1000 {
			return nil
		}
		last := ids[len(ids)-1]
		cursor = &last
	}
}
