// Package app builds Jishi's services from a Config: the database, the
// tenants, identity, authorisation and merchant contexts. HTTP handlers
// (core/httpapi, core/storefront, admin-ui) take an *App; core/server
// mounts them.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/dispatch"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/report"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uptrace/bun"
)

// Config is everything the server reads from flags and the environment.
type Config struct {
	Addr        string // JISHI_ADDR, default ":8080"
	DatabaseURL string // JISHI_DATABASE_URL: postgres://… or sqlite:PATH; "" = DataDir/jishi.db
	DataDir     string // JISHI_DATA_DIR, default "./data"
	// BaseDomain gives every tenant the host {slug}.{BaseDomain}
	// (JISHI_BASE_DOMAIN, default "localhost").
	BaseDomain string
	// PlatformHosts serve the platform console and /t/{tenant}/ paths
	// (JISHI_PLATFORM_HOSTS, default "localhost"; IPs always do).
	PlatformHosts []string
	// PublicURL is how users reach the platform host, used in printed
	// links and e-mails (JISHI_PUBLIC_URL, default http://localhost:8080).
	PublicURL string
	// Secure marks cookies Secure (JISHI_SECURE_COOKIES; set behind TLS).
	Secure bool
	// SMTPURL sends mail through smtp://user:pass@host:port when set
	// (JISHI_SMTP_URL); otherwise mail goes to the log and the outbox.
	SMTPURL  string
	MailFrom string
	// FastHashing lowers password-hashing cost (tests and benchmarks only).
	FastHashing bool
	// Migrate runs migrations when the App is built (default true in serve).
	Migrate bool
	// PluginDir holds the installed plugins and their plugins.lock
	// (JISHI_PLUGIN_DIR, default DefaultPluginDir()); "" or a missing
	// directory installs none.
	PluginDir string
	// Stripe is the platform's Stripe configuration (JISHI_STRIPE_*).
	Stripe stripepay.Config
	// PluginLog also receives every plugin's log lines (nil: only kept for
	// the console).
	PluginLog io.Writer
}

// WithDefaults fills the zero fields of c.
func (c Config) WithDefaults() Config {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.BaseDomain == "" {
		c.BaseDomain = "localhost"
	}
	if len(c.PlatformHosts) == 0 {
		c.PlatformHosts = []string{"localhost"}
	}
	if c.PublicURL == "" {
		port := c.Addr[strings.LastIndex(c.Addr, ":")+1:]
		c.PublicURL = "http://localhost:" + port
	}
	if c.MailFrom == "" {
		c.MailFrom = "jishi@localhost"
	}
	return c
}

// App is the set of services of one server process.
type App struct {
	Config      Config
	DB          *db.DB
	Resolver    *tenants.Resolver
	Provisioner *tenants.Provisioner
	Identity    *identity.Service
	Authz       *authz.Enforcer
	Merchants   *merchant.Service
	Catalog     *catalog.Service
	Search      *search.Service
	Inventory   *inventory.Service
	Promo       *promo.Service
	Orders      *order.Service
	Billing     *billing.Service
	Reports     *report.Service
	Payments    *payment.Service
	Fulfil      *fulfil.Service
	Cart        *cart.Service
	Checkout    *checkout.Service
	Dispatch    *dispatch.Service
	Jobs        *jobs.Service     // the job queue: StartJobs/StopJobs in serve
	Imports     *catalog.Importer // CSV imports into a shop's catalog
	Plugins     *Plugins          // the plugin platform: StartPlugins/StopPlugins in serve
	Stripe      *stripepay.Service
	Invoicing   *invoicing.Service // platform billing: plans, usage, credits, monthly invoices
	Registry    *prometheus.Registry
}

// New opens the database, migrates it when cfg.Migrate, and builds the
// services.
func New(ctx context.Context, cfg Config) (*App, error) {
	cfg = cfg.WithDefaults()
	d, err := db.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.Migrate {
		applied, err := d.Migrate(ctx)
		if err != nil {
			d.Close()
			return nil, err
		}
		if len(applied) > 0 {
			slog.Info("migrated", "applied", applied)
		}
	}
	a, err := NewWithDB(ctx, cfg, d)
	if err != nil {
		d.Close()
		return nil, err
	}
	return a, nil
}

// NewWithDB builds the services on an open, migrated database (tests use
// it with dbtest's databases).
func NewWithDB(ctx context.Context, cfg Config, d *db.DB) (*App, error) {
	cfg = cfg.WithDefaults()
	a := &App{Config: cfg, DB: d, Registry: prometheus.NewRegistry()}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.Resolver = &tenants.Resolver{DB: d.DB, PlatformHosts: cfg.PlatformHosts, TTL: 30 * time.Second}
	a.Provisioner = &tenants.Provisioner{BaseDomain: cfg.BaseDomain}
	a.Identity = identity.New(identity.Config{
		DB: d, Mailer: NewMailer(cfg, d), Secure: cfg.Secure, FastHashing: cfg.FastHashing,
	})
	var err error
	if a.Authz, err = authz.New(ctx, d); err != nil {
		return nil, fmt.Errorf("authz: %w", err)
	}
	a.Merchants = merchant.New(merchant.Deps{
		DB: d, Authz: a.Authz, Identity: a.Identity,
		Storage: merchant.NewLocalStorage(filepath.Join(cfg.DataDir, "uploads")),
	})
	a.Catalog = catalog.New(catalog.Deps{DB: d, Authz: a.Authz, Merchants: a.Merchants, Storage: a.Merchants.Storage})
	a.Search = search.New(d)
	if a.Jobs, err = jobs.New(d, jobs.Config{}); err != nil {
		return nil, err
	}
	a.Imports = catalog.NewImporter(a.Catalog, a.Jobs)
	a.Imports.OnImport(func(ctx context.Context, tx bun.IDB, shopID string, _ []string) error {
		return a.Search.IndexShop(ctx, tx, shopID)
	})
	a.Inventory = inventory.New(inventory.Deps{DB: d, Authz: a.Authz, Merchants: a.Merchants})
	a.Promo = promo.New(promo.Deps{DB: d, Authz: a.Authz, Merchants: a.Merchants})
	a.Billing = billing.New(billing.Deps{DB: d, Authz: a.Authz})
	a.Reports = report.New(report.Deps{DB: d, Authz: a.Authz})
	a.Payments = payment.New(payment.Deps{DB: d, Authz: a.Authz, Billing: a.Billing})
	a.Fulfil = fulfil.New(fulfil.Deps{DB: d, Authz: a.Authz, Merchants: a.Merchants, Identity: a.Identity, Inventory: a.Inventory})
	a.Cart = cart.New(cart.Deps{DB: d, Inventory: a.Inventory, Pricer: cartPrices{a.Promo}, Secure: cfg.Secure})
	a.wireStripe()
	if err := a.wireShopping(); err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	a.Dispatch = dispatch.New(dispatch.Deps{DB: d, Authz: a.Authz, Orders: a.Orders})
	if err := a.wirePlugins(); err != nil {
		return nil, err
	}
	a.Checkout.Plugins = a.Plugins.Host
	a.Catalog.OnChange(a.Search.IndexProduct) // the index changes in the product's transaction
	a.Catalog.OnCoverChange(a.Search.SetCover)
	a.Inventory.OnStockChange(a.Search.SetInStock)
	a.Merchants.OnShopChange(a.Search.IndexShop)
	a.registerProvisioning()
	a.wireInvoicing(ctx)
	return a, nil
}

// StartJobs starts working queued jobs in the background (jishi serve).
func (a *App) StartJobs(ctx context.Context) error { return a.Jobs.Start(ctx) }

// StopJobs stops working jobs, waiting for running ones until ctx ends.
func (a *App) StopJobs(ctx context.Context) error { return a.Jobs.Stop(ctx) }

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }
