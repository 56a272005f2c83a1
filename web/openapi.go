package web

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"
)

// APIDoc documents one API route: its request and response bodies are
// given as values of the very Go types the handler decodes and encodes,
// so the schemas cannot drift from the code.
type APIDoc struct {
	Summary     string
	Description string
	// Request is a value of the body type (nil: no body).
	Request any
	// Response is a value of the success body type (nil: no body).
	Response any
	// Status is the success status (200 when zero).
	Status int
	// Query lists the query parameters by name with their description.
	Query [][2]string
}

var (
	apiDocsMu sync.Mutex
	apiDocs   = map[string]APIDoc{}
)

// addAPIDocs registers route documentation, keyed "METHOD /path" with the
// route table's path (":id" parameters). Each area registers its own from
// an init function in its openapi file.
func addAPIDocs(docs map[string]APIDoc) {
	apiDocsMu.Lock()
	defer apiDocsMu.Unlock()
	for k, v := range docs {
		apiDocs[k] = v
	}
}

func (s *Server) openAPIRoutes() []Route {
	return []Route{{Method: fiber.MethodGet, Path: "/api/v1/openapi.json", Public: true, Handler: s.serveOpenAPI}}
}

func init() {
	addAPIDocs(map[string]APIDoc{
		"GET /api/v1/openapi.json": {Summary: "This OpenAPI 3 document", Response: map[string]any{}},
	})
}

// openAPICache holds each server's document, built once on first request
// (after every route is registered).
var openAPICache sync.Map // *Server → *openAPIBuilt

type openAPIBuilt struct {
	once sync.Once
	json []byte
	err  error
}

func (s *Server) serveOpenAPI(c *fiber.Ctx) error {
	v, _ := openAPICache.LoadOrStore(s, &openAPIBuilt{})
	b := v.(*openAPIBuilt)
	b.once.Do(func() {
		doc, err := BuildOpenAPI(s.routes)
		if err == nil {
			b.json, err = json.Marshal(doc)
		}
		b.err = err
	})
	if b.err != nil {
		return b.err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(b.json)
}

var (
	uuidType = reflect.TypeFor[uuid.UUID]()
	rawType  = reflect.TypeFor[json.RawMessage]()
	timeTyp  = reflect.TypeFor[time.Time]()
	// textMarshalerType: see customizeOne.
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// customizeSchema makes generated schemas say what the JSON really is:
// UUIDs are strings, raw JSON is anything, and an object has exactly its
// fields — those without omitempty are always present.
func customizeSchema(name string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	return customize(true)(name, t, tag, schema)
}

// customize returns the schema customizer for responses (withRequired:
// always-encoded fields are required) or requests (nothing is required by
// the schema; the handler's validation names missing fields).
func customize(withRequired bool) openapi3gen.SchemaCustomizerFn {
	return func(name string, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
		return customizeOne(withRequired, t, tag, schema)
	}
}

func customizeOne(withRequired bool, t reflect.Type, tag reflect.StructTag, schema *openapi3.Schema) error {
	switch {
	case t.Kind() == reflect.Interface:
		schema.Nullable = true
	case t == uuidType:
		schema.Type = &openapi3.Types{"string"}
		schema.Format = "uuid"
	case t != timeTyp && t.Implements(textMarshalerType):
		// A type that writes itself as text (days, exact quantities) is a
		// string in JSON, whatever its Go kind.
		schema.Type = &openapi3.Types{"string"}
		schema.Format, schema.Properties, schema.AdditionalProperties = "", nil, openapi3.AdditionalProperties{}
	case t == rawType:
		schema.Type = nil
		schema.Format = ""
		schema.Nullable = true
	case t.Kind() == reflect.Struct && t != timeTyp:
		no := false
		schema.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
		if schema.Type == nil {
			schema.Type = &openapi3.Types{"object"}
		}
		if withRequired {
			schema.Required = requiredFields(t)
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Map:
		if strings.Contains(tag.Get("json"), "omitempty") {
			schema.Nullable = true
		}
	}
	return nil
}

// requiredFields lists a struct's JSON fields that are always encoded.
func requiredFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "" {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				out = append(out, requiredFields(f.Type)...)
			}
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || strings.Contains(opts, "omitempty") {
			continue
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func schemaOf(v any) (*openapi3.SchemaRef, error) { return schemaFor(v, true) }

func schemaFor(v any, response bool) (*openapi3.SchemaRef, error) {
	if v == nil {
		return nil, nil
	}
	return openapi3gen.NewSchemaRefForValue(v, openapi3.Schemas{}, openapi3gen.SchemaCustomizer(customize(response)))
}

// OpenAPIPath turns a route-table path into an OpenAPI path.
func OpenAPIPath(p string) (string, []string) {
	var params []string
	parts := strings.Split(p, "/")
	for i, part := range parts {
		if name, ok := strings.CutPrefix(part, ":"); ok {
			name = strings.TrimSuffix(name, "?")
			params = append(params, name)
			parts[i] = "{" + name + "}"
		}
	}
	return strings.Join(parts, "/"), params
}

// Undocumented is the extension set on operations that have no APIDoc
// yet: they are in the document, without body schemas.
const Undocumented = "x-gomato-undocumented"

// BuildOpenAPI builds the OpenAPI 3 document of the /api/v1 routes in rs.
func BuildOpenAPI(rs []Route) (*openapi3.T, error) {
	errSchema, err := schemaOf(ErrorBody{})
	if err != nil {
		return nil, err
	}
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "Gomato API", Version: "1",
			Description: "Customer-retention CRM. Name the tenant with the X-Tenant header (or the host <slug>.<base domain>); " +
				"authenticate with a bearer API token or session. Errors are {\"error\":{\"code\",\"message\",\"fields\"}}; " +
				"bodies are decoded strictly (an unknown field is a 422). Money is integer minor units with an ISO 4217 code."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{
			Schemas: openapi3.Schemas{"Error": errSchema},
			SecuritySchemes: openapi3.SecuritySchemes{
				"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("opaque")},
			},
		},
	}
	errRef := &openapi3.SchemaRef{Ref: "#/components/schemas/Error", Value: errSchema.Value}
	apiDocsMu.Lock()
	defer apiDocsMu.Unlock()
	for _, r := range rs {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		path, params := OpenAPIPath(r.Path)
		d, documented := apiDocs[r.Method+" "+r.Path]
		op := openapi3.NewOperation()
		op.OperationID = strings.ToLower(r.Method) + strings.NewReplacer("/api/v1", "", "/", "_", "{", "", "}", "", "-", "_").Replace(path)
		op.Summary, op.Description = d.Summary, d.Description
		if !documented {
			op.Summary = r.Method + " " + path
			op.Extensions = map[string]any{Undocumented: true}
		}
		if !r.Perm.IsZero() {
			if op.Extensions == nil {
				op.Extensions = map[string]any{}
			}
			op.Extensions["x-permission"] = r.Perm.String()
		}
		if !r.Public {
			op.Security = &openapi3.SecurityRequirements{{"bearer": []string{}}}
		} else {
			op.Security = &openapi3.SecurityRequirements{}
		}
		for _, p := range params {
			pp := openapi3.NewPathParameter(p).WithSchema(openapi3.NewStringSchema())
			op.AddParameter(pp)
		}
		if r.Tenant {
			op.AddParameter(openapi3.NewHeaderParameter("X-Tenant").WithDescription("tenant slug (or use the host)").WithSchema(openapi3.NewStringSchema()))
		}
		for _, q := range d.Query {
			op.AddParameter(openapi3.NewQueryParameter(q[0]).WithDescription(q[1]).WithSchema(openapi3.NewStringSchema()))
		}
		if d.Request != nil {
			sch, err := schemaFor(d.Request, false)
			if err != nil {
				return nil, fmt.Errorf("%s %s request: %w", r.Method, r.Path, err)
			}
			op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).WithJSONSchemaRef(sch)}
		}
		status := d.Status
		if status == 0 {
			status = fiber.StatusOK
		}
		resp := openapi3.NewResponse().WithDescription(strconv.Itoa(status) + " " + utils.StatusMessage(status))
		if d.Response != nil {
			sch, err := schemaOf(d.Response)
			if err != nil {
				return nil, fmt.Errorf("%s %s response: %w", r.Method, r.Path, err)
			}
			resp = resp.WithJSONSchemaRef(sch)
		}
		op.Responses = openapi3.NewResponses()
		op.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: resp})
		op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("error").WithJSONSchemaRef(errRef)})
		item := doc.Paths.Value(path)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(path, item)
		}
		item.SetOperation(r.Method, op)
	}
	return doc, nil
}
