// Command jishi is the Jishi server and its administration commands:
//
//	jishi serve                 migrate, seed an empty database, serve
//	jishi migrate               apply database migrations
//	jishi seed                  load the demo marketplaces
//	jishi tenant create|list    manage tenants
//	jishi user create-admin     create a platform admin account
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/server"
	"github.com/jishi-dev/jishi/seeds"
	"github.com/jishi-dev/jishi/tenants"
)

const usage = `jishi — the Jishi (集市) marketplace server

Usage:
  jishi serve [flags]                    migrate, seed an empty database, serve HTTP
  jishi migrate [-grant ROLE] [flags]    apply database migrations (idempotent); -grant: the PostgreSQL role to serve as
  jishi seed [flags]                     load the demo marketplaces into an empty database
  jishi tenant create -slug S -name N [-domain D]... [-admin-email E -admin-password P]
  jishi tenant list [flags]
  jishi user create-admin -email E -password P [-name N]

Common flags (and environment):
  -addr        JISHI_ADDR          listen address (default :8080)
  -database    JISHI_DATABASE_URL  postgres://… or sqlite:PATH (default DATA_DIR/jishi.db)
  -data-dir    JISHI_DATA_DIR      data directory (default ./data)
  JISHI_BASE_DOMAIN, JISHI_PLATFORM_HOSTS, JISHI_PUBLIC_URL, JISHI_SECURE_COOKIES,
  JISHI_SMTP_URL, JISHI_MAIL_FROM, JISHI_LOG_LEVEL (see README)
  JISHI_PLUGIN_DIR    installed plugins and plugins.lock (default bin/plugins, else plugins/ beside the binary)
  JISHI_STRIPE_SECRET_KEY, JISHI_STRIPE_PUBLISHABLE_KEY, JISHI_STRIPE_WEBHOOK_SECRET
                      the platform's Stripe keys (tenants may set their own; none: Stripe is not offered)
  JISHI_STRIPE_API_BASE  Stripe's API address (stripe-mock for testing; default https://api.stripe.com)

serve flags:
  -no-seed     JISHI_NO_SEED       do not seed an empty database
  -sweep-every JISHI_SWEEP_EVERY   housekeeping interval: expired reservations, unpaid orders, stale carts (default 30s)
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "jishi:", err)
		os.Exit(1)
	}
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// commonFlags binds the configuration flags shared by every subcommand.
func commonFlags(fs *flag.FlagSet) *app.Config {
	c := &app.Config{}
	fs.StringVar(&c.Addr, "addr", env("JISHI_ADDR", ":8080"), "listen address")
	fs.StringVar(&c.DatabaseURL, "database", env("JISHI_DATABASE_URL", ""), "database URL (postgres://… or sqlite:PATH)")
	fs.StringVar(&c.DataDir, "data-dir", env("JISHI_DATA_DIR", "./data"), "data directory")
	c.BaseDomain = env("JISHI_BASE_DOMAIN", "localhost")
	if h := env("JISHI_PLATFORM_HOSTS", ""); h != "" {
		c.PlatformHosts = strings.Split(h, ",")
	}
	c.PublicURL = env("JISHI_PUBLIC_URL", "")
	c.Secure = env("JISHI_SECURE_COOKIES", "") == "true" || env("JISHI_SECURE_COOKIES", "") == "1"
	c.SMTPURL = env("JISHI_SMTP_URL", "")
	c.MailFrom = env("JISHI_MAIL_FROM", "")
	c.PluginDir = env("JISHI_PLUGIN_DIR", app.DefaultPluginDir())
	c.Stripe.SecretKey = env("JISHI_STRIPE_SECRET_KEY", "")
	c.Stripe.PublishableKey = env("JISHI_STRIPE_PUBLISHABLE_KEY", "")
	c.Stripe.WebhookSecret = env("JISHI_STRIPE_WEBHOOK_SECRET", "")
	c.Stripe.APIBase = env("JISHI_STRIPE_API_BASE", "")
	c.Migrate = true
	return c
}

func setupLogging(w io.Writer) {
	lvl := slog.LevelInfo
	_ = lvl.UnmarshalText([]byte(env("JISHI_LOG_LEVEL", "info")))
	slog.SetDefault(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl})))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	setupLogging(stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, stdout)
	case "migrate":
		fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
		cfg := commonFlags(fs)
		grant := fs.String("grant", "", "PostgreSQL: create this role if missing (NOSUPERUSER NOBYPASSRLS) and grant it the tables, to serve as")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		a, err := app.New(ctx, *cfg)
		if err != nil {
			return err
		}
		defer a.Close()
		fmt.Fprintf(stdout, "database %s (%s) is up to date\n", a.DB.Location, a.DB.Engine)
		if *grant != "" {
			if err := a.DB.GrantServingRole(ctx, *grant); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "role %s may read and write the tables; serve as it (row-level security applies)\n", *grant)
		}
		return nil
	case "seed":
		fs := flag.NewFlagSet("seed", flag.ContinueOnError)
		cfg := commonFlags(fs)
		if err := fs.Parse(rest); err != nil {
			return err
		}
		a, err := app.New(ctx, *cfg)
		if err != nil {
			return err
		}
		defer a.Close()
		need, err := seeds.Needed(ctx, a)
		if err != nil {
			return err
		}
		if !need {
			fmt.Fprintln(stdout, "the database already holds tenants; nothing seeded")
			printLogins(stdout, seeds.Logins(a))
			return nil
		}
		logins, err := seeds.Load(ctx, a)
		if err != nil {
			return err
		}
		printLogins(stdout, logins)
		return nil
	case "tenant":
		return tenantCmd(ctx, rest, stdout)
	case "user":
		return userCmd(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func serve(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := commonFlags(fs)
	noSeed := fs.Bool("no-seed", env("JISHI_NO_SEED", "") != "", "do not seed the demo marketplaces into an empty database")
	sweepEvery := fs.Duration("sweep-every", durationEnv("JISHI_SWEEP_EVERY", 30*time.Second),
		"how often to release expired stock reservations and look at expired lots")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.PluginLog = os.Stderr
	if *sweepEvery <= 0 {
		return errors.New("-sweep-every must be positive")
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, *cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if bypass, err := a.DB.BypassesRLS(ctx); err != nil {
		return fmt.Errorf("check the database role: %w", err)
	} else if bypass {
		slog.Warn("the database role is a superuser or has BYPASSRLS: row-level security does not back up tenant isolation; serve as the role of `jishi migrate -grant jishi_app` (see README)")
	}
	logins := seeds.Logins(a)
	if !*noSeed {
		need, err := seeds.Needed(ctx, a)
		if err != nil {
			return err
		}
		if need {
			if logins, err = seeds.Load(ctx, a); err != nil {
				return fmt.Errorf("seed demo marketplaces: %w", err)
			}
		}
	}
	if err := a.StartJobs(ctx); err != nil {
		return err
	}
	defer func() { // before the database closes; running jobs get 15 s to finish
		jctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = a.StopJobs(jctx)
	}()
	a.StartPlugins(ctx)
	defer a.StopPlugins() // kills the plugin processes before the database closes
	srv := &http.Server{
		Addr:              a.Config.Addr,
		Handler:           server.New(a),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	sweepCtx, stopSweep := context.WithCancel(ctx)
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		sweep(sweepCtx, a, *sweepEvery)
	}()
	defer func() { stopSweep(); <-swept }() // before the database closes
	fmt.Fprintf(stdout, "\nJishi (集市) is serving on %s  [database: %s %s]\n", a.Config.PublicURL, a.DB.Engine, a.DB.Location)
	printLogins(stdout, logins)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// durationEnv reads a duration (e.g. "30s") from the environment.
func durationEnv(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(env(key, "")); err == nil {
		return d
	}
	return def
}

// sweep runs the periodic housekeeping at once and then every `every`,
// until ctx ends: the inventory sweeper (expired reservations released,
// lots expired since the last day looked at), unpaid orders past the
// tenant's limit cancelled (their stock, slots and coupon uses given
// back), and visitors' carts untouched for 30 days deleted.
func sweep(ctx context.Context, a *app.App, every time.Duration) {
	w := a.Inventory.NewSweeper()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for now := time.Now(); ; {
		sweepOnce(ctx, a, w, now)
		select {
		case <-ctx.Done():
			return
		case now = <-tick.C:
		}
	}
}

// StaleCartAge is how long a visitor's cart lives without a change.
const StaleCartAge = 30 * 24 * time.Hour

// sweepOnce runs one round and logs what it did: at info when it changed
// something, at debug otherwise.
func sweepOnce(ctx context.Context, a *app.App, w *inventory.Sweeper, now time.Time) {
	logged := func(what string, err error, attrs ...any) {
		if err != nil {
			if ctx.Err() == nil {
				slog.Error(what, "err", err)
			}
			return
		}
		lvl := slog.LevelDebug
		for i := 1; i < len(attrs); i += 2 {
			if n, _ := attrs[i].(int); n > 0 {
				lvl = slog.LevelInfo
			}
		}
		slog.Log(ctx, lvl, what, attrs...)
	}
	cancelled, err := a.Orders.CancelUnpaid(ctx, now)
	logged("unpaid order sweep", err, "cancelled_orders", cancelled)
	res, err := w.Sweep(ctx, now)
	logged("stock sweep", err, "released_reservations", res.Released, "expired_lot_products", res.Expired)
	carts, err := a.Cart.DeleteStale(ctx, now.Add(-StaleCartAge))
	logged("cart sweep", err, "deleted_carts", carts)
}

func printLogins(w io.Writer, logins []seeds.Login) {
	if len(logins) == 0 {
		return
	}
	fmt.Fprintln(w, "\nDemo logins:")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROLE\tTENANT\tLOGIN\tPASSWORD\tSIGN IN AT")
	for _, l := range logins {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.Role, l.Tenant, l.Login, l.Password, l.URL)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func tenantCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("tenant: want create or list")
	}
	fs := flag.NewFlagSet("tenant "+args[0], flag.ContinueOnError)
	cfg := commonFlags(fs)
	var in tenants.CreateInput
	var domains multiFlag
	if args[0] == "create" {
		fs.StringVar(&in.Slug, "slug", "", "tenant slug (subdomain)")
		fs.StringVar(&in.Name, "name", "", "display name")
		fs.Var(&domains, "domain", "extra host name (repeatable)")
		fs.StringVar(&in.TimeZone, "time-zone", "Asia/Shanghai", "time zone")
		fs.StringVar(&in.AdminEmail, "admin-email", "", "first tenant admin's e-mail")
		fs.StringVar(&in.AdminName, "admin-name", "", "first tenant admin's name")
		fs.StringVar(&in.AdminPassword, "admin-password", "", "first tenant admin's password")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	a, err := app.New(ctx, *cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "create":
		in.Domains = domains
		t, err := a.Provisioner.Create(ctx, a.DB, in)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "created tenant %s (%s) id=%s domains=%s\n", t.Slug, t.Name, t.ID, strings.Join(t.Domains, ","))
		return nil
	case "list":
		ts, err := tenants.List(ctx, a.DB.DB)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SLUG\tNAME\tSTATUS\tDOMAINS\tID")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Status, strings.Join(t.Domains, ","), t.ID)
		}
		return tw.Flush()
	}
	return fmt.Errorf("tenant: unknown subcommand %q", args[0])
}

func userCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create-admin" {
		return errors.New("user: want create-admin")
	}
	fs := flag.NewFlagSet("user create-admin", flag.ContinueOnError)
	cfg := commonFlags(fs)
	email := fs.String("email", "", "e-mail (login)")
	name := fs.String("name", "Platform admin", "display name")
	password := fs.String("password", "", "password (at least 8 characters)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	a, err := app.New(ctx, *cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Identity.CreatePlatformAdmin(ctx, *email, *name, *password); err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "platform admin %s is ready; sign in at %s/admin/login\n", *email, a.Config.PublicURL)
	return nil
}
