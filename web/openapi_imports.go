package web

import "net/http"

func init() {
	addAPIDocs(map[string]APIDoc{
		"POST /api/v1/imports": {Summary: "Import a CSV or XLSX file in the background (multipart: kind, file, format, mapping)",
			Description: "kind is customers, contacts, invoices or payments; format is csv or xlsx (default: from the file name); mapping is a JSON object " +
				"field → column header. A file that cannot be read, or a mapping naming a column the file lacks, is a 422 at once. Otherwise the file is " +
				"stored and the answer is 202 with the import, queued, at its Location; poll it. The import runs all or nothing: a file with any bad row " +
				"fails, reports every bad row (row, field, column, message) and writes nothing. A succeeded import requests a scoring run " +
				"(coalesced: at most one waits per tenant). Persian and Arabic-Indic digits and separators are read exactly.",
			Response: ImportView{}, Status: http.StatusAccepted},
		"GET /api/v1/imports/:id": {Summary: "One import: status, progress and outcome",
			Description: "status is queued, running, succeeded or failed; rows_done of rows_total rows have been checked; a succeeded import has its counts " +
				"and the scoring run it requested; a failed one its bad rows (or error) and no records written.",
			Response: ImportView{}},
	})
}
