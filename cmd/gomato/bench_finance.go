package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// cmdBenchFinance grows the bench tenant (made by `gomato bench`) with
// invoices and payments, and measures the import: a 100,000-row invoice
// file through store.Import against a plain COPY of the same rows. After
// it, `gomato bench` reports the list and profile again on the grown
// tenant.
func cmdBenchFinance(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "bench-finance", "bench-finance [flags]\n\nAdds invoices and payments to the bench tenant (once, by COPY in scoped transactions;\nrun `gomato bench --generate-only` first), then measures the import of a 100,000-row\ninvoice file against the baseline COPY of the same rows, in throwaway tenants.")
	slug := fs.String("tenant", "bench", "slug of the bench tenant")
	invoices := fs.Int("invoices", 2_000_000, "invoices to add to the bench tenant")
	batch := fs.Int("batch", 100_000, "invoices per COPY batch (each batch is one transaction, loaded once)")
	rows := fs.Int("import-rows", 100_000, "rows of the import file (two lines per invoice)")
	skipGen := fs.Bool("skip-generate", false, "do not grow the bench tenant")
	skipImport := fs.Bool("skip-import", false, "do not measure the import")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	out := env.stdout
	if !*skipGen {
		tn, err := a.registry.TenantBySlug(ctx, *slug)
		if err != nil {
			return fmt.Errorf("bench tenant %s (run `gomato bench --generate-only` first): %w", *slug, err)
		}
		if err := benchFinanceGenerate(ctx, a, tn, *invoices, *batch, out); err != nil {
			return err
		}
	}
	if !*skipImport {
		return benchImport(ctx, a, *rows, out)
	}
	return nil
}

func benchFinanceGenerate(ctx context.Context, a *app, tn core.Tenant, invoices, batch int, out io.Writer) error {
	sysCtx := core.WithActor(core.WithTenant(ctx, tn), core.SystemActor)
	var ids []uuid.UUID
	if err := tenant.ReadTx(sysCtx, a.db, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &ids, `select id from customers order by id`)
	}); err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("the bench tenant has no customers: run `gomato bench --generate-only` first")
	}
	const marker = "bench:finance:v1:"
	start, loaded, payments := time.Now(), 0, 0
	first := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	for b := 0; b*batch < invoices; b++ {
		n := min(batch, invoices-b*batch)
		key := fmt.Sprintf("%s%d:%d", marker, batch, b)
		t0 := time.Now()
		np := 0
		err := tenant.Tx(sysCtx, a.db, func(tx *sqlx.Tx) error {
			r, err := tx.ExecContext(ctx, `insert into settings (key, value) values ($1, $2) on conflict (key) do nothing`, key, fmt.Sprint(n))
			if err != nil {
				return err
			}
			if k, _ := r.RowsAffected(); k == 0 {
				return errBenchDone
			}
			rng := mrand.New(mrand.NewPCG(uint64(b), 7))
			// Paid totals and statuses are written as the recompute would
			// derive them (all issued days are long past), so that the one
			// recompute after loading only has the customers' facts to write.
			inv, err := tx.PrepareContext(ctx, pq.CopyIn("invoices", "id", "customer_id", "number", "issued_on", "due_on", "currency", "total", "paid_total", "status"))
			if err != nil {
				return err
			}
			type pay struct {
				id, cust, inv uuid.UUID
				number        string
				amount        int64
				on            string
			}
			var ps []pay
			for i := range n {
				id, cust := core.NewID(), ids[rng.IntN(len(ids))]
				issued := first.AddDate(0, 0, rng.IntN(5*365))
				total := int64(100_000 + rng.IntN(50_000_000)) // rials
				number := fmt.Sprintf("B%d-%07d", b, i)
				paid, status := int64(0), "overdue"
				switch r := rng.IntN(20); {
				case r < 17: // paid in full
					paid, status = total, "paid"
				case r < 19: // paid in part, now overdue
					paid = total / 2
				}
				if paid > 0 {
					ps = append(ps, pay{core.NewID(), cust, id, number, paid, issued.AddDate(0, 0, rng.IntN(45)).Format(time.DateOnly)})
				}
				if _, err := inv.ExecContext(ctx, id, cust, number, issued.Format(time.DateOnly), issued.AddDate(0, 0, 30).Format(time.DateOnly), "IRR", total, paid, status); err != nil {
					inv.Close()
					return err
				}
			}
			if _, err := inv.ExecContext(ctx); err != nil {
				inv.Close()
				return err
			}
			if err := inv.Close(); err != nil {
				return err
			}
			pst, err := tx.PrepareContext(ctx, pq.CopyIn("payments", "id", "customer_id", "invoice_id", "invoice_number", "amount", "currency", "paid_on", "method"))
			if err != nil {
				return err
			}
			for _, p := range ps {
				if _, err := pst.ExecContext(ctx, p.id, p.cust, p.inv, p.number, p.amount, "IRR", p.on, "card"); err != nil {
					pst.Close()
					return err
				}
			}
			if _, err := pst.ExecContext(ctx); err != nil {
				pst.Close()
				return err
			}
			np = len(ps)
			return pst.Close()
		})
		if err == errBenchDone {
			continue
		}
		if err != nil {
			return fmt.Errorf("invoice batch %d: %w", b, err)
		}
		loaded += n
		payments += np
		fmt.Fprintf(out, "loaded invoice batch %d: %d invoices, %d payments in %s\n", b, n, np, time.Since(t0).Round(time.Millisecond))
	}
	if loaded > 0 {
		t0 := time.Now()
		if err := store.New(a.db).RecomputeCustomerFacts(sysCtx, nil); err != nil {
			return err
		}
		fmt.Fprintf(out, "recomputed invoice statuses and the facts of %d customers in %s\n", len(ids), time.Since(t0).Round(time.Millisecond))
		for _, table := range []string{"invoices", "payments", "customers"} {
			if _, err := a.db.ExecContext(ctx, `vacuum (analyze) `+pq.QuoteIdentifier(tn.Schema)+`.`+pq.QuoteIdentifier(table)); err != nil {
				return fmt.Errorf("vacuum %s: %w", table, err)
			}
		}
	}
	var ni, np int
	_ = tenant.ReadTx(sysCtx, a.db, func(tx *sqlx.Tx) error {
		_ = tx.GetContext(ctx, &ni, `select count(*) from invoices`)
		return tx.GetContext(ctx, &np, `select count(*) from payments`)
	})
	fmt.Fprintf(out, "data: %d customers, %d invoices, %d payments in tenant %s (%d invoices and %d payments loaded now in %s)\n",
		len(ids), ni, np, tn.Slug, loaded, payments, time.Since(start).Round(time.Millisecond))
	return nil
}

var errBenchDone = fmt.Errorf("batch already loaded")

// benchImport measures a rows-row invoice CSV (two lines per invoice, 1,000
// customers, amounts in ASCII and Persian digits) through store.Import —
// parse, check every row, write in one transaction, recompute facts —
// against COPY of the same invoices and lines, in two throwaway tenants.
func benchImport(ctx context.Context, a *app, rows int, out io.Writer) error {
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	tag := hex.EncodeToString(suffix)
	var tenants []core.Tenant
	defer func() {
		for _, t := range tenants {
			if err := a.registry.DropTenant(context.WithoutCancel(ctx), t.Slug); err != nil {
				fmt.Fprintf(out, "drop %s: %v\n", t.Slug, err)
			}
		}
	}()
	mk := func(name string) (context.Context, error) {
		t, err := a.registry.CreateTenant(ctx, tenant.NewTenant{Slug: name + "-" + tag, Name: name, Locale: "fa", Currency: "IRR", TimeZone: "Asia/Tehran"})
		if err != nil {
			return nil, err
		}
		tenants = append(tenants, t)
		return core.WithActor(core.WithTenant(ctx, t), core.SystemActor), nil
	}
	st := store.New(a.db)
	impCtx, err := mk("benchimp")
	if err != nil {
		return err
	}
	copyCtx, err := mk("benchcopy")
	if err != nil {
		return err
	}
	// The same 1,000 customers in both (not timed).
	var cust strings.Builder
	cust.WriteString("external_ref,name\n")
	for i := range 1000 {
		fmt.Fprintf(&cust, "C-%d,مشتری %d\n", i, i)
	}
	for _, c := range []context.Context{impCtx, copyCtx} {
		tbl, err := store.ReadTable(strings.NewReader(cust.String()), "csv")
		if err != nil {
			return err
		}
		if res, err := st.Import(c, store.ImportRequest{Kind: store.ImportCustomers, Table: tbl}); err != nil || res.Status != store.ImportCommitted {
			return fmt.Errorf("bench customers: %v %+v", err, res.Errors)
		}
	}
	refs := map[string]uuid.UUID{}
	if err := tenant.ReadTx(copyCtx, a.db, func(tx *sqlx.Tx) error {
		rs, err := tx.QueryContext(ctx, `select external_ref, id from customers`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var k string
			var id uuid.UUID
			if err := rs.Scan(&k, &id); err != nil {
				return err
			}
			refs[k] = id
		}
		return rs.Err()
	}); err != nil {
		return err
	}
	// The file.
	var file bytes.Buffer
	file.WriteString("customer_ref,number,issued_on,due_on,currency,line_product,line_category,line_quantity,line_unit_price\n")
	persian := strings.NewReplacer("0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹")
	type line struct {
		cust   string
		number string
		issued string
		due    string
		prod   string
		cat    string
		qty    string
		price  int64
	}
	var lines []line
	for i := range rows {
		k := i / 2
		issued := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k%700)
		l := line{fmt.Sprintf("C-%d", k%1000), fmt.Sprintf("IMP-%07d", k), issued.Format(time.DateOnly), issued.AddDate(0, 0, 30).Format(time.DateOnly),
			"کالای " + fmt.Sprint(i%50), "دسته " + fmt.Sprint(i%7), fmt.Sprint(1 + i%5), int64(10_000 * (1 + i%97))}
		lines = append(lines, l)
		price := fmt.Sprint(l.price)
		if i%2 == 1 {
			price = persian.Replace(price)
		}
		fmt.Fprintf(&file, "%s,%s,%s,%s,IRR,%s,%s,%s,%s\n", l.cust, l.number, l.issued, l.due, l.prod, l.cat, l.qty, price)
	}
	// Import: parse + check + write + facts, one transaction.
	t0 := time.Now()
	tbl, err := store.ReadTable(bytes.NewReader(file.Bytes()), "csv")
	if err != nil {
		return err
	}
	res, err := st.Import(impCtx, store.ImportRequest{Kind: store.ImportInvoices, Table: tbl})
	if err != nil {
		return err
	}
	if res.Status != store.ImportCommitted {
		return fmt.Errorf("bench import rejected: %+v", res.Errors[:min(5, len(res.Errors))])
	}
	imp := time.Since(t0)
	// Baseline: COPY of the same invoices and lines, values ready.
	t0 = time.Now()
	err = tenant.Tx(copyCtx, a.db, func(tx *sqlx.Tx) error {
		inv, err := tx.PrepareContext(ctx, pq.CopyIn("invoices", "id", "customer_id", "number", "issued_on", "due_on", "currency", "total", "status"))
		if err != nil {
			return err
		}
		type lineRow struct {
			inv uuid.UUID
			pos int
			l   line
		}
		var lrs []lineRow
		for i := 0; i < len(lines); i += 2 {
			id := core.NewID()
			var total int64
			for j := i; j < min(i+2, len(lines)); j++ {
				q, _ := core.ParseQuantity(lines[j].qty)
				total += q.Times(lines[j].price)
				lrs = append(lrs, lineRow{id, j - i + 1, lines[j]})
			}
			l := lines[i]
			if _, err := inv.ExecContext(ctx, id, refs[l.cust], l.number, l.issued, l.due, "IRR", total, "unpaid"); err != nil {
				inv.Close()
				return err
			}
		}
		if _, err := inv.ExecContext(ctx); err != nil {
			inv.Close()
			return err
		}
		if err := inv.Close(); err != nil {
			return err
		}
		ls, err := tx.PrepareContext(ctx, pq.CopyIn("invoice_lines", "id", "invoice_id", "position", "product", "category", "quantity", "unit_price", "amount"))
		if err != nil {
			return err
		}
		for _, r := range lrs {
			q, _ := core.ParseQuantity(r.l.qty)
			if _, err := ls.ExecContext(ctx, core.NewID(), r.inv, r.pos, r.l.prod, r.l.cat, r.l.qty, r.l.price, q.Times(r.l.price)); err != nil {
				ls.Close()
				return err
			}
		}
		if _, err := ls.ExecContext(ctx); err != nil {
			ls.Close()
			return err
		}
		return ls.Close()
	})
	if err != nil {
		return fmt.Errorf("baseline copy: %w", err)
	}
	cp := time.Since(t0)
	fmt.Fprintf(out, "\n| what | rows | time | rows/s |\n|---|---|---|---|\n")
	fmt.Fprintf(out, "| import (CSV parse, check every row, COPY, link payments, facts; one transaction) | %d | %s | %.0f |\n", rows, imp.Round(time.Millisecond), float64(rows)/imp.Seconds())
	fmt.Fprintf(out, "| baseline COPY of the same invoices and lines (values ready) | %d | %s | %.0f |\n", rows, cp.Round(time.Millisecond), float64(rows)/cp.Seconds())
	return nil
}
