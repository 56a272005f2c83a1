// Command gomato is Gomato's one binary: the HTTP server, the background
// worker, and the operations commands (migrate, tenant, …). Configuration
// comes only from GOMATO_* environment variables, read here and passed
// down.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	_ "time/tzdata" // tenant time zones never depend on the host's tz database

	"github.com/gomato/gomato/core"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := environ{getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if err := run(ctx, os.Args[1:], env); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "gomato:", describe(err))
		os.Exit(1)
	}
}

// environ is what a command may use of the outside world; tests replace it.
type environ struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env environ) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP server (API, web UI, health, metrics)", cmdServe},
		{"worker", "run the background worker (scoring, imports, alerts)", cmdWorker},
		{"score", "request a scoring run of a tenant (optionally as of a past day) and wait for it", cmdScore},
		{"migrate", "apply control and tenant migrations", cmdMigrate},
		{"tenant", "create, list and show tenants", cmdTenant},
		{"demo", "build the demo agency and tenants from the datasets in testdata/", cmdDemo},
		{"user", "create users, grant and revoke their roles in tenants", cmdUser},
		{"agency", "create and list agencies", cmdAgency},
		{"bench", "generate the bench tenant and measure the customers API against its baseline SQL", cmdBench},
		{"bench-finance", "grow the bench tenant with invoices and payments; measure the import against COPY", cmdBenchFinance},
		{"import", "import a CSV or XLSX file of customers, contacts, invoices or payments into a tenant", cmdImport},
	}
}

func run(ctx context.Context, args []string, env environ) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	usage(env.stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Gomato — customer retention CRM.\n\nUsage: gomato <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun `gomato <command> --help` for a command's flags.")
	fmt.Fprintln(w, "\nConfiguration (environment):")
	for _, v := range configVars {
		fmt.Fprintf(w, "  %-26s %s (default %q)\n", v.name, v.help, v.def)
	}
}

// newFlags makes a flag set whose --help prints the command's summary.
func newFlags(env environ, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("gomato "+name, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: gomato %s\n", synopsis)
		var any bool
		fs.VisitAll(func(*flag.Flag) { any = true })
		if any {
			fmt.Fprintln(env.stderr, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// describe renders an error for the terminal, with field messages.
func describe(err error) string {
	var ae *core.Error
	if !errors.As(err, &ae) || len(ae.Fields) == 0 {
		return err.Error()
	}
	keys := make([]string, 0, len(ae.Fields))
	for k := range ae.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(ae.Message)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %s: %s", k, ae.Fields[k])
	}
	return b.String()
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl}))
}
