package web

import "github.com/gomato/gomato/core"

// listQuery documents the customer list's and counts' query parameters.
var listQuery = [][2]string{
	{"status", "active, inactive or legacy; repeat or comma-separate for any-of"},
	{"group", "group id; repeat for any-of"},
	{"vip", "true: in a VIP group; false: in none"},
	{"specialty", "specialty name or id; repeat for any-of"},
	{"country", "billing ISO country; repeat for any-of"},
	{"province", "billing province; repeat for any-of"},
	{"city", "billing city; repeat for any-of"},
	{"owner", "owner user id; repeat for any-of"},
	{"q", "search over name, email, phone and VAT id: Arabic and Persian Yeh/Kaf folded, ZWNJ and diacritics ignored, Persian and Arabic-Indic digits accepted"},
	{"risk_level", "low, medium or high (needs scores:read)"},
	{"segment", "RFM segment (needs scores:read)"},
	{"min_clv", "minimum CLV in minor units (needs scores:read)"},
	{"max_clv", "maximum CLV in minor units (needs scores:read)"},
}

const customFilterHelp = "Custom fields filter as cf.<key>=value (repeat for any-of), and cf.<key>.gte= / cf.<key>.lte= for number and date fields. "

func init() {
	page := append(append([][2]string{}, listQuery...),
		[2]string{"sort", "name, created, updated, last_purchase; clv, risk, next_purchase need scores:read; prefix - to reverse"},
		[2]string{"cursor", "next_cursor of the previous page"},
		[2]string{"limit", "page size, 1–200 (default 50)"})
	addAPIDocs(map[string]APIDoc{
		"GET /api/v1/customers": {Summary: "List customers", Description: customFilterHelp + "Keyset pagination: pass next_cursor back as cursor. " +
			"Score fields (sales_forecast, score) are left out for roles without scores:read.", Query: page, Response: core.CustomerPage{}},
		"GET /api/v1/customers/counts": {Summary: "Count customers by status (the status tabs)", Description: customFilterHelp + "The status filter itself is ignored.",
			Query: listQuery, Response: core.CustomerCounts{}},
		"POST /api/v1/customers": {Summary: "Create a customer", Description: "Send Idempotency-Key to make retries safe.",
			Request: core.CustomerInput{}, Response: core.Customer{}, Status: 201},
		"GET /api/v1/customers/:id":    {Summary: "Get a customer", Response: core.Customer{}},
		"PATCH /api/v1/customers/:id":  {Summary: "Update a customer", Description: "Absent fields stay; owner_id of the nil UUID clears the owner; custom is merged and null removes a key.", Request: core.CustomerUpdate{}, Response: core.Customer{}},
		"DELETE /api/v1/customers/:id": {Summary: "Delete a customer and everything that hangs off it", Status: 204},
		"GET /api/v1/customers/:id/profile": {Summary: "The 360° profile", Description: "Every section is present, empty when there is nothing.",
			Response: core.Profile{}},
		"PUT /api/v1/customers/:id/forecast-override": {Summary: "Override the sales forecast time (null clears)", Request: ForecastOverrideInput{}, Response: core.Customer{}},
		"GET /api/v1/specialties":                     {Summary: "List specialty tags", Query: [][2]string{{"q", "part of the name, in any Persian/Arabic letter form"}}, Response: SpecialtyList{}},

		"GET /api/v1/customers/:id/contacts":  {Summary: "List a customer's contacts", Response: ContactList{}},
		"POST /api/v1/customers/:id/contacts": {Summary: "Add a contact", Description: "Send Idempotency-Key to make retries safe.", Request: core.ContactInput{}, Response: core.Contact{}, Status: 201},
		"GET /api/v1/contacts/:id":            {Summary: "Get a contact", Response: core.Contact{}},
		"PATCH /api/v1/contacts/:id":          {Summary: "Update a contact", Request: core.ContactUpdate{}, Response: core.Contact{}},
		"DELETE /api/v1/contacts/:id":         {Summary: "Delete a contact", Status: 204},

		"GET /api/v1/groups":               {Summary: "List groups", Response: GroupList{}},
		"POST /api/v1/groups":              {Summary: "Create a group", Request: core.GroupInput{}, Response: core.Group{}, Status: 201},
		"GET /api/v1/groups/:id":           {Summary: "Get a group", Response: core.Group{}},
		"PATCH /api/v1/groups/:id":         {Summary: "Update a group", Request: core.GroupUpdate{}, Response: core.Group{}},
		"DELETE /api/v1/groups/:id":        {Summary: "Delete a group (its customers stay)", Status: 204},
		"GET /api/v1/custom-fields":        {Summary: "List custom field definitions", Query: [][2]string{{"entity", "customer or contact"}}, Response: CustomFieldList{}},
		"POST /api/v1/custom-fields":       {Summary: "Define a custom field", Request: core.CustomFieldDefInput{}, Response: core.CustomFieldDef{}, Status: 201},
		"GET /api/v1/custom-fields/:id":    {Summary: "Get a custom field definition", Response: core.CustomFieldDef{}},
		"PATCH /api/v1/custom-fields/:id":  {Summary: "Update a custom field definition", Request: core.CustomFieldDefUpdate{}, Response: core.CustomFieldDef{}},
		"DELETE /api/v1/custom-fields/:id": {Summary: "Delete a custom field definition and its values", Status: 204},
	})
}
