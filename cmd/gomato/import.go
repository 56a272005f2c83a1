package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant/store"
)

// cmdImport loads a CSV or XLSX file into a tenant, all or nothing, as the
// system: gomato import --tenant SLUG --kind KIND [--map FILE] FILE. It
// runs the import in this process, through the same durable path as the
// API's background imports.
func cmdImport(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "import", "import --tenant SLUG --kind customers|contacts|invoices|payments [--map FILE] [--format csv|xlsx] FILE\n\n"+
		"Runs the import synchronously, in this process, and waits for it: a file with any bad\nrow prints every bad row (row, column, reason) and writes nothing. "+
		"Like an import\nthrough the API (POST /api/v1/imports, which a worker runs), the file is first\nstored as an import with its outbox row, so "+
		"GET /api/v1/imports/{id} shows it and,\nshould this process die midway, a running `gomato worker` finishes it; a\n"+
		"succeeded import requests a scoring run, which the worker performs (Redis:\nGOMATO_REDIS_ADDR, GOMATO_REDIS_DB, GOMATO_QUEUE_PREFIX). "+
		"The map file renames\nfields to the file's column headers, one field=Header per line.")
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
	data, err := os.ReadFile(path)
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
	tctx := core.WithActor(core.WithTenant(ctx, tn), core.Actor{Name: "cli", Email: "cli", System: true})
	client := jobs.NewClient(jobs.ClientConfig{RedisAddr: a.cfg.RedisAddr, RedisDB: a.cfg.RedisDB, DB: a.db, Log: a.log,
		QueuePrefix: a.cfg.QueuePrefix})
	defer client.Close()
	job, err := client.RunImport(tctx, store.ImportSubmission{Kind: *kind, FileName: filepath.Base(path), Format: *format, Mapping: mapping, Data: data})
	if err != nil {
		if job.ID != uuid.Nil {
			return fmt.Errorf("import %s: %w", job.ID, err)
		}
		return err
	}
	if job.Status == store.ImportFailed {
		for _, e := range job.Errors {
			fmt.Fprintf(env.stdout, "row %d, column %s: %s\n", e.Row, e.Column, e.Reason)
		}
		if len(job.Errors) == 0 {
			return fmt.Errorf("import %s: %s", job.ID, job.Error)
		}
		return fmt.Errorf("import: %d problems in %s; nothing was imported", len(job.Errors), filepath.Base(path))
	}
	ms := int64(0)
	if job.DurationMS != nil {
		ms = *job.DurationMS
	}
	fmt.Fprintf(env.stdout, "imported %s into %s: %d rows, %d created, %d updated, %d unchanged, in %d ms (import %s)\n",
		filepath.Base(path), tn.Slug, job.RowsTotal, job.Created, job.Updated, job.Unchanged, ms, job.ID)
	if job.ScoringRunID != nil {
		fmt.Fprintf(env.stdout, "scoring run %s requested\n", job.ScoringRunID)
	}
	return nil
}
