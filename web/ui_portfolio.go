package web

import (
	"fmt"
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// portfolioRow is one tenant of an agency as its admins see it:
// aggregates only, and a link in only where the admin is also a member.
type portfolioRow struct {
	Tenant        core.Tenant
	Customers     int
	HighRisk      int
	RevenueAtRisk int64
	CLVTotal      int64
	Trend         []int64 // CLV totals of the last runs, oldest first
	TrendDelta    int64
	Member        bool
}

type portfolioData struct {
	Agency core.Agency
	Rows   []portfolioRow
}

// uiPortfolio shows an agency's tenants with their retention aggregates.
// The route's permission (portfolio:read) lets the agency's admins in;
// platform operators are kept out here, since these figures are tenants'
// business data (DESIGN §4), unless they also administer the agency.
func (s *Server) uiPortfolio(c *fiber.Ctx) error {
	ctx := c.UserContext()
	a, err := s.deps.Registry.AgencyBySlug(ctx, c.Params("agency"))
	if err != nil {
		return err
	}
	act, _ := core.ActorFrom(ctx)
	ok, err := s.deps.Users.IsAgencyAdmin(ctx, a.ID, act.UserID)
	if err != nil {
		return err
	}
	if !ok {
		return &core.Error{Code: core.CodeForbidden, Message: "only the agency's admins see its portfolio"}
	}
	p := s.newPage(c, "")
	p.Title = p.T("portfolio.title", a.Name)
	ts, err := s.deps.Registry.Tenants(ctx, &a.ID)
	if err != nil {
		return err
	}
	d := &portfolioData{Agency: a}
	for _, t := range ts {
		row := portfolioRow{Tenant: t}
		// One short read-only transaction per tenant: never many schemas
		// in one transaction (DESIGN §11).
		tctx := core.WithActor(core.WithTenant(ctx, t), core.SystemActor)
		err := tenant.ReadTx(tctx, s.deps.DB, func(tx *sqlx.Tx) error {
			return tx.QueryRowxContext(tctx, `select (select count(*) from customers),
				(select count(*) from scores where risk_level = 'high'),
				(select coalesce(sum(floor(risk * clv + 0.5)), 0)::bigint from scores),
				(select coalesce(sum(clv), 0)::bigint from scores)`).Scan(&row.Customers, &row.HighRisk, &row.RevenueAtRisk, &row.CLVTotal)
		})
		if err != nil {
			return fmt.Errorf("portfolio of %s: %w", t.Slug, err)
		}
		runs, err := store.New(s.deps.DB).ScoringRuns(tctx, store.ScoringRunFilter{Status: "done", Limit: 6})
		if err != nil {
			return err
		}
		for i := len(runs) - 1; i >= 0; i-- {
			row.Trend = append(row.Trend, runs[i].CLVTotal)
		}
		if n := len(row.Trend); n >= 2 {
			row.TrendDelta = row.Trend[n-1] - row.Trend[n-2]
		}
		st, err := s.deps.Users.MembershipStatus(ctx, t.ID, act.UserID)
		if err != nil {
			return err
		}
		row.Member = st == tenant.MemberActive
		d.Rows = append(d.Rows, row)
	}
	p.Data = d
	return s.render(c, fiber.StatusOK, "portfolio", p)
}

// TenantURL links into a tenant of the portfolio.
func (r portfolioRow) TenantURL() string { return "/t/" + url.PathEscape(r.Tenant.Slug) + "/" }
