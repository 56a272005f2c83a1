package web

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"mime"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/web/i18n"
)

// The UI's templates and static files are embedded: running Gomato needs
// no build step and no network.
//
//go:embed templates
var templateFS embed.FS

//go:embed static/app.css static/dashboard.js static/vendor
var staticFS embed.FS

// uiTemplates holds one template set per page: the layout and partials
// plus the page, which defines "title" and "content".
type uiTemplates struct {
	pages map[string]*template.Template
}

var uiFuncs = template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
	// dict builds a map for passing several values to a sub-template.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"str":   func(v any) string { return fmt.Sprint(v) },
	"list":  func(v ...string) []string { return v },
	"mul10": func(i int) int { return i * 10 },
	"sub5":  func(i int) int { return 5 - i },
	// heat is a cell's background opacity in the RFM grid.
	"heat": func(n int) string {
		if n == 0 {
			return "0"
		}
		return fmt.Sprintf("%.2f", 0.08+0.5*math.Min(1, math.Log10(float64(n)+1)/3))
	},
	"ratio": func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	},
	"derefF": func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	},
	"lower": strings.ToLower,
	"pct":   func(v float64) int { return int(v*100 + 0.5) },
	"deref": func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	},
}

func loadTemplates() (*uiTemplates, error) {
	base := template.New("base").Funcs(uiFuncs)
	base, err := base.ParseFS(templateFS, "templates/layout/*.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	t := &uiTemplates{pages: map[string]*template.Template{}}
	for _, p := range pages {
		set, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := set.ParseFS(templateFS, p); err != nil {
			return nil, err
		}
		t.pages[strings.TrimSuffix(path.Base(p), ".html")] = set
	}
	return t, nil
}

// navItem is one entry of the top navigation, shown only to users who hold
// its permission.
type navItem struct {
	Key    string
	Label  string
	Href   string
	Active bool
}

// tenantLink is one tenant of the switcher.
type tenantLink struct {
	Slug, Name string
	Current    bool
}

// page is what every template gets: the printer (T, Money, Date…), the
// request's tenant and actor, navigation, the CSRF token, and the page's
// own data.
type page struct {
	*i18n.Printer
	Title     string
	Tenant    *core.Tenant
	Actor     *core.Actor
	Tenants   []tenantLink
	Nav       []navItem
	CSRF      string
	Flash     string
	FlashKind string
	Path      string
	// Here is the URL of the page (GET requests only), where the language
	// switch comes back to.
	Here  string
	Query url.Values
	Data  any
	can   func(authz.Permission) bool
}

// Can reports whether the actor holds obj:act in the page's tenant; the
// templates use it to leave out what the user cannot use.
func (p *page) Can(obj, act string) bool {
	if p.can == nil {
		return false
	}
	return p.can(authz.P(authz.Object(obj), authz.Action(act)))
}

// TURL builds a path inside the page's tenant: /t/<slug>/<rest>.
func (p *page) TURL(parts ...string) string {
	if p.Tenant == nil {
		return "/"
	}
	var b strings.Builder
	b.WriteString("/t/")
	b.WriteString(url.PathEscape(p.Tenant.Slug))
	for _, s := range parts {
		b.WriteByte('/')
		b.WriteString(strings.Trim(s, "/"))
	}
	return b.String()
}

// With returns the current query with key set to value (empty removes it)
// and the page reset, as a "?…" string: filters live in the URL.
func (p *page) With(kv ...string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = append([]string(nil), v...)
	}
	// A changed filter starts again at the first page.
	q.Del("after")
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return "?"
	}
	return "?" + q.Encode()
}

// Q returns a query parameter of the current request.
func (p *page) Q(key string) string { return p.Query.Get(key) }

// NumStr formats an integer given as int, int64 or string for display.
func (p *page) N(v any) string {
	switch n := v.(type) {
	case int:
		return p.Int(int64(n))
	case int64:
		return p.Int(n)
	case int32:
		return p.Int(int64(n))
	case int16:
		return p.Int(int64(n))
	case *int:
		if n == nil {
			return "—"
		}
		return p.Int(int64(*n))
	case string:
		return p.Digits(n)
	}
	return p.Digits(fmt.Sprint(v))
}

// When formats a *time.Time or time.Time as a date, "—" for none.
func (p *page) When(v any) string {
	switch t := v.(type) {
	case time.Time:
		return p.Date(t)
	case *time.Time:
		if t == nil {
			return "—"
		}
		return p.Date(*t)
	}
	return "—"
}

// dueView is a forecast date as shown: a day that has passed reads
// "overdue since …", so that it never looks like a date to come.
type dueView struct {
	Text    string
	Overdue bool
}

// Due formats a next-purchase (or renewal) forecast: the date, or
// "overdue since <date>" when its day is before today in the tenant's
// zone. The API keeps the plain date.
func (p *page) Due(v *time.Time) dueView {
	if v == nil || v.IsZero() {
		return dueView{Text: "—"}
	}
	now := time.Now().In(p.Loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, p.Loc)
	if v.In(p.Loc).Before(today) {
		return dueView{Text: p.T("forecast.overdue_since", p.Date(*v)), Overdue: true}
	}
	return dueView{Text: p.Date(*v)}
}

// DateHint is an example date for a date field: today in the tenant's
// zone, as the user would type it (Jalali for Persian, ISO for English),
// so that examples are current and follow the user's locale.
func (p *page) DateHint() string { return p.Date(time.Now()) }

// DateInvalid is the message for a date that cannot be read, with an
// example in the user's own calendar.
func (p *page) DateInvalid() string { return p.T("validation.date", p.DateHint()) }

// uiLang picks the page's language: the user's, else the tenant's, else
// a ?lang= or cookie choice on public pages, else English.
func uiLang(c *fiber.Ctx, a *core.Actor, t *core.Tenant) i18n.Lang {
	if a != nil {
		if l, ok := i18n.Parse(a.Locale); ok {
			return l
		}
	}
	if t != nil {
		if l, ok := i18n.Parse(t.Locale); ok {
			return l
		}
	}
	if l, ok := i18n.Parse(c.Query("lang")); ok {
		return l
	}
	if l, ok := i18n.Parse(c.Cookies("gomato_lang")); ok {
		return l
	}
	for _, part := range strings.Split(c.Get(fiber.HeaderAcceptLanguage), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.HasPrefix(strings.ToLower(tag), "fa") {
			return i18n.Fa
		}
		if strings.HasPrefix(strings.ToLower(tag), "en") {
			return i18n.En
		}
	}
	return i18n.En
}

// newPage builds the page for a request: language, tenant, actor,
// navigation for what the actor may use.
func (s *Server) newPage(c *fiber.Ctx, active string) *page {
	ctx := c.UserContext()
	p := &page{Path: c.Path(), Query: url.Values{}}
	if c.Method() == fiber.MethodGet {
		p.Here = safeNext(c.OriginalURL())
	}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) { p.Query.Add(string(k), string(v)) })
	if t, err := core.TenantFrom(ctx); err == nil {
		p.Tenant = &t
	}
	if a, ok := core.ActorFrom(ctx); ok && !a.System {
		p.Actor = &a
	}
	loc := time.UTC
	currency := "USD"
	if p.Tenant != nil {
		if l, err := time.LoadLocation(p.Tenant.TimeZone); err == nil {
			loc = l
		}
		currency = p.Tenant.Currency
	}
	p.Printer = i18n.New(uiLang(c, p.Actor, p.Tenant), loc, currency)
	if p.Tenant != nil && p.Tenant.Currency == "IRR" {
		// The tenant's choice of toman for display; rials if unreadable.
		on, err := tenant.TomanDisplay(ctx, s.deps.DB)
		if err != nil {
			s.log.Error("toman display setting", "tenant", p.Tenant.Slug, "err", err)
		}
		p.Printer.Toman = on
	}
	if p.Actor != nil {
		p.CSRF = s.uiCSRF(c)
		if p.Tenant != nil {
			p.can = func(perm authz.Permission) bool { return s.uiCan(ctx, perm) }
			p.Nav = s.uiNav(p, active)
		}
		p.Tenants = s.uiTenants(ctx, p.Actor, p.Tenant)
	}
	if f := c.Cookies("gomato_flash"); f != "" {
		// The flash names a catalogue key; anything else is ignored.
		if i18n.Has(p.Lang, "flash."+f) {
			p.Flash = p.T("flash." + f)
			p.FlashKind = "ok"
		}
		clearFlash(c)
	}
	return p
}

// uiNavItems is the top navigation; each item shows only to users with its
// permission.
var uiNavItems = []struct {
	key  string
	path string
	perm authz.Permission
}{
	{"dashboard", "dashboard", authz.P(authz.Dashboard, authz.Read)},
	{"customers", "customers", authz.P(authz.Customers, authz.Read)},
	{"tasks", "tasks", authz.P(authz.Tasks, authz.Read)},
	{"settings", "settings", authz.P(authz.Users, authz.Read)},
}

func (s *Server) uiNav(p *page, active string) []navItem {
	var out []navItem
	for _, it := range uiNavItems {
		if !s.uiRouteExists(it.path) || !p.can(it.perm) {
			continue
		}
		out = append(out, navItem{Key: it.key, Label: p.T("nav." + it.key), Href: p.TURL(it.path), Active: it.key == active})
	}
	return out
}

// uiRouteExists reports whether the UI serves /t/:tenant/<rest>, so that
// navigation never links to a page that is not built.
func (s *Server) uiRouteExists(rest string) bool {
	for _, r := range s.uiRoutes() {
		if r.Method == fiber.MethodGet && r.Path == "/t/:tenant/"+rest {
			return true
		}
	}
	return false
}

// setFlash shows a catalogue message (flash.<key>) on the next page.
func setFlash(c *fiber.Ctx, key string) {
	c.Cookie(&fiber.Cookie{Name: "gomato_flash", Value: key, Path: "/", HTTPOnly: true, SameSite: "Lax", MaxAge: 60})
}

// clearFlash removes the flash once shown. A browser only replaces a cookie
// with the same name, domain and path, so the deletion carries setFlash's
// Path and attributes (Fiber's ClearCookie sends no Path, and the cookie
// set at / would survive it on every page below /t/…).
func clearFlash(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: "gomato_flash", Value: "", Path: "/", HTTPOnly: true, SameSite: "Lax",
		MaxAge: -1, Expires: time.Unix(0, 0)})
}

// render writes a full page, or only the named fragment for htmx
// requests that ask for one.
func (s *Server) render(c *fiber.Ctx, status int, name string, p *page) error {
	set, ok := s.templates().pages[name]
	if !ok {
		return core.Errorf(core.CodeInternal, "no template %s", name)
	}
	var buf bytes.Buffer
	entry := "layout"
	if c.Get("HX-Request") == "true" && c.Get("HX-Target") != "" && set.Lookup("fragment:"+c.Get("HX-Target")) != nil {
		entry = "fragment:" + c.Get("HX-Target")
	}
	if err := set.ExecuteTemplate(&buf, entry, p); err != nil {
		return &core.Error{Code: core.CodeInternal, Message: "render " + name, Err: err}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Language", string(p.Lang))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

// renderFragment writes one named template of a page set (htmx swaps).
func (s *Server) renderFragment(c *fiber.Ctx, status int, name, fragment string, p *page) error {
	set, ok := s.templates().pages[name]
	if !ok {
		return core.Errorf(core.CodeInternal, "no template %s", name)
	}
	var buf bytes.Buffer
	if err := set.ExecuteTemplate(&buf, fragment, p); err != nil {
		return &core.Error{Code: core.CodeInternal, Message: "render " + name + "/" + fragment, Err: err}
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

// isUIRequest reports whether an error on this request should be an HTML
// page rather than JSON: the UI's paths, not the API's.
func isUIRequest(c *fiber.Ctx) bool {
	p := c.Path()
	if strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics" {
		return false
	}
	return p == "/" || strings.HasPrefix(p, "/t/") || strings.HasPrefix(p, "/login") ||
		strings.HasPrefix(p, "/logout") || strings.HasPrefix(p, "/agency") || p == "/language"
}

// uiError renders an error as a page in the user's language; a missing
// session on a GET sends the browser to the sign-in page instead.
func (s *Server) uiError(c *fiber.Ctx, status int, d ErrorDetail) error {
	if status == fiber.StatusUnauthorized && c.Method() == fiber.MethodGet && c.Get("HX-Request") == "" {
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
	}
	p := s.newPage(c, "")
	key := "error." + string(d.Code)
	if !i18n.Has(p.Lang, key+".title") {
		key = "error.internal"
	}
	p.Title = p.T(key + ".title")
	p.Data = map[string]any{"Status": status, "Key": key, "RequestID": requestID(c), "Code": string(d.Code), "Message": d.Message}
	if c.Get("HX-Request") == "true" {
		return s.renderFragment(c, status, "error", "error-box", p)
	}
	return s.render(c, status, "error", p)
}

// static serves the embedded assets with long caching for vendored files.
func (s *Server) static(c *fiber.Ctx) error {
	name := path.Clean("/" + c.Params("*"))
	b, err := staticFS.ReadFile("static" + name)
	if err != nil || strings.HasSuffix(name, ".sh") {
		return fiber.ErrNotFound
	}
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".woff2":
		ct = "font/woff2"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	case "", ".txt", ".md":
		ct = "text/plain; charset=utf-8"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set("X-Content-Type-Options", "nosniff")
	if strings.HasPrefix(name, "/vendor/") {
		c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	return c.Send(b)
}

// formInt reads an integer form or query value written with ASCII,
// Persian or Arabic-Indic digits and group separators.
func formInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	v, err := core.ParseInteger(s)
	return v, err == nil
}

// itoa is strconv.Itoa, for building query strings.
func itoa(n int) string { return strconv.Itoa(n) }

// uiCtx is the request's context with tenant and actor.
func uiCtx(c *fiber.Ctx) context.Context { return c.UserContext() }

// Role names a role: a default role in the user's language, a custom
// role by its own name.
func (p *page) Role(name string) string {
	if i18n.Has(p.Lang, "role."+name) {
		return p.T("role." + name)
	}
	return name
}
