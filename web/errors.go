package web

import (
	"encoding/json"
	"net/http"
	"strings"
)

// errorPage is the error view's data.
type errorPage struct {
	page
	Status  int
	Heading string
	Message string
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// internalError logs err with the request's attributes and shows the
// browser only "Internal error" and the request ID (STYLE.md 18).
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	id := requestID(r)
	if err != nil {
		s.log.Error("http request failed", "method", r.Method, "path", r.URL.Path, "err", err, "request_id", id)
	}
	s.showError(w, r, http.StatusInternalServerError, "Internal error",
		"Something went wrong on the server. The log has the details under request ID "+id+".")
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request, what string) {
	s.showError(w, r, http.StatusNotFound, "Not found", what)
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.notFound(w, r, "There is no page at this address.")
}

// showError answers with a user-facing message: an error page, or JSON
// {"error", "request_id"} for the API.
func (s *Server) showError(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	if isAPI(r) {
		text := heading
		if status != http.StatusInternalServerError && msg != "" {
			text = msg
		}
		s.writeJSON(w, r, status, apiError{Error: text, RequestID: requestID(r)})
		return
	}
	s.render(w, r, status, "error", errorPage{
		page:    page{Title: heading, RequestID: requestID(r)},
		Status:  status,
		Heading: heading,
		Message: msg,
	})
}

// apiError is the JSON body of an API error.
type apiError struct {
	Error     string `json:"error"`
	Position  int    `json:"position,omitempty"` // of a query syntax error, 1-based column
	RequestID string `json:"request_id"`
}

// writeJSON writes v as JSON with status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("encode json", "path", r.URL.Path, "err", err, "request_id", requestID(r))
		status = http.StatusInternalServerError
		b, _ = json.Marshal(apiError{Error: "Internal error", RequestID: requestID(r)})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
