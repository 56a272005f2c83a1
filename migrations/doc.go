// Package migrations embeds Gomato's forward-only SQL migrations: control/
// for the installation-wide control schema, tenant/ for every tenant's own
// schema. Files are numbered, applied in name order, one transaction each,
// and never edited once they have landed: add a new file instead.
package migrations

import (
	"embed"
	"io/fs"
)

//go:embed control/*.sql tenant/*.sql
var files embed.FS

// Control holds the control-schema migrations.
var Control = sub("control")

// Tenant holds the per-tenant schema migrations; they use unqualified names
// and run with search_path set to the tenant's schema and ext.
var Tenant = sub("tenant")

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err)
	}
	return f
}
