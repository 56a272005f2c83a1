package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/gomato/gomato"

// frameworks are the libraries each layer is kept apart from.
var frameworks = map[string]string{
	"github.com/gofiber/":            "Fiber",
	"github.com/valyala/":            "fasthttp",
	"net/http":                       "net/http",
	"github.com/jmoiron/sqlx":        "sqlx",
	"github.com/lib/pq":              "lib/pq",
	"database/sql":                   "database/sql",
	"github.com/hibiken/asynq":       "asynq",
	"github.com/redis/":              "Redis",
	"github.com/casbin/":             "Casbin",
	"github.com/hashicorp/go-plugin": "go-plugin",
	"google.golang.org/grpc":         "gRPC",
	"os/exec":                        "os/exec",
}

// rules: for each folder, which of our folders it may import and which
// frameworks it must not (DESIGN §2, STYLE "Layout and dependency rules").
var rules = []struct {
	folder     string
	ours       []string
	forbidden  []string
	transitive bool
}{
	{folder: "core", ours: []string{"core"}, forbidden: keys(frameworks), transitive: true},
	{folder: "tenant", ours: []string{"core", "tenant", "migrations"}, forbidden: []string{"github.com/gofiber/", "github.com/hibiken/asynq", "github.com/casbin/", "github.com/hashicorp/go-plugin"}},
	{folder: "authz", ours: []string{"core", "authz", "tenant"}, forbidden: []string{"github.com/gofiber/", "github.com/hibiken/asynq", "github.com/hashicorp/go-plugin"}},
	{folder: "jobs", ours: []string{"core", "tenant", "authz", "plugins", "jobs", "migrations"}, forbidden: []string{"github.com/gofiber/", "github.com/casbin/"}},
	{folder: "plugins", ours: []string{"core", "plugins"}, forbidden: []string{"github.com/gofiber/", "github.com/jmoiron/sqlx", "github.com/lib/pq", "github.com/hibiken/asynq", "github.com/casbin/"}},
	{folder: "web", ours: []string{"core", "tenant", "authz", "jobs", "web", "migrations"}, forbidden: []string{"github.com/hibiken/asynq", "github.com/casbin/", "github.com/hashicorp/go-plugin"}},
	{folder: "migrations", ours: []string{"migrations"}, forbidden: keys(frameworks)},
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Doc        string
	Name       string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "-deps=false", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []pkg
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func folderOf(importPath string) string {
	rest := strings.TrimPrefix(importPath, module+"/")
	return strings.SplitN(rest, "/", 2)[0]
}

func TestImportRules(t *testing.T) {
	for _, p := range listPackages(t) {
		folder := folderOf(p.ImportPath)
		for _, r := range rules {
			if r.folder != folder {
				continue
			}
			imports := p.Imports
			if r.transitive {
				imports = p.Deps
			}
			for _, imp := range imports {
				if strings.HasPrefix(imp, module+"/") {
					if f := folderOf(imp); !contains(r.ours, f) {
						t.Errorf("%s imports %s: %s may import only %v of ours", p.ImportPath, imp, folder, r.ours)
					}
					continue
				}
				if imp == "database/sql/driver" {
					continue // interfaces only; uuid implements them
				}
				for _, fb := range r.forbidden {
					if imp == fb || strings.HasPrefix(imp, fb) && (strings.HasSuffix(fb, "/") || strings.HasPrefix(imp, fb+"/")) {
						t.Errorf("%s imports %s, which %s must not use", p.ImportPath, imp, folder)
					}
				}
			}
		}
	}
}

// TestPackagesHaveDocs: every package says what it owns.
func TestPackagesHaveDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
