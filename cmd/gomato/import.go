package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// cmdImport loads a CSV or XLSX file into a tenant, all or nothing, as the
// system: gomato import --tenant SLUG --kind KIND [--map FILE] FILE.
func cmdImport(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "import", "import --tenant SLUG --kind customers|contacts|invoices|payments [--map FILE] [--format csv|xlsx] FILE\n\n"+
		"Loads the file in one transaction: a file with any bad row prints every bad row\n(row, column, reason) and writes nothing. The map file renames fields to the\nfile's column headers, one field=Header per line.")
	slug := fs.String("tenant", "", "tenant slug (required)")
	kind := fs.String("kind", "", "customers, contacts, invoices or payments (required)")
	mapFile := fs.String("map", "", "column mapping file (field=Header lines)")
	format := fs.String("format", "", "csv or xlsx (default: from the file name)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" || *kind == "" || fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("import: want --tenant, --kind and one FILE")
	}
	path := fs.Arg(0)
	var mapping map[string]string
	if *mapFile != "" {
		b, err := os.ReadFile(*mapFile)
		if err != nil {
			return err
		}
		if mapping, err = store.ParseMapping(string(b)); err != nil {
			return err
		}
	}
	if *format == "" {
		*format = "csv"
		if strings.EqualFold(filepath.Ext(path), ".xlsx") {
			*format = "xlsx"
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tbl, err := store.ReadTable(f, *format)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	tn, err := a.registry.TenantBySlug(ctx, *slug)
	if err != nil {
		return fmt.Errorf("tenant %s: %w", *slug, err)
	}
	tctx := core.WithActor(core.WithTenant(ctx, tn), core.SystemActor)
	tid := tn.ID
	ev := &tenant.AuditEvent{TenantID: &tid, ActorEmail: "cli", Action: "import.committed", Target: *kind}
	res, err := store.New(a.db).Import(tctx, store.ImportRequest{Kind: *kind, Mapping: mapping, Table: tbl, Audit: ev})
	if err != nil {
		return err
	}
	if res.Status == store.ImportRejected {
		for _, e := range res.Errors {
			fmt.Fprintf(env.stdout, "row %d, column %s: %s\n", e.Row, e.Column, e.Reason)
		}
		return fmt.Errorf("import: %d problems in %s; nothing was imported", len(res.Errors), filepath.Base(path))
	}
	fmt.Fprintf(env.stdout, "imported %s into %s: %d rows, %d created, %d updated, %d unchanged, in %d ms\n",
		filepath.Base(path), tn.Slug, res.Rows, res.Created, res.Updated, res.Unchanged, res.DurationMS)
	return nil
}
