package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file with its content hash.
type asset struct {
	data  []byte
	ctype string
	hash  string // first 12 hex digits of the SHA-256, the cache buster
}

type assets struct{ files map[string]*asset }

func loadAssets() (*assets, error) {
	a := &assets{files: map[string]*asset{}}
	ents, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("read assets: %w", err)
	}
	for _, e := range ents {
		data, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read asset %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(data)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		switch path.Ext(e.Name()) {
		case ".css":
			ct = "text/css; charset=utf-8"
		case ".js":
			ct = "text/javascript; charset=utf-8"
		case ".svg":
			ct = "image/svg+xml"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.files[e.Name()] = &asset{data: data, ctype: ct, hash: hex.EncodeToString(sum[:6])}
	}
	return a, nil
}

// url is the versioned URL of an asset, for templates; a name that is not
// embedded fails the template, which the view tests catch at once.
func (a *assets) url(name string) (string, error) {
	f, ok := a.files[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return "/static/" + name + "?v=" + f.hash, nil
}

// handleStatic serves an embedded file. A versioned URL (?v= with the
// current hash) is cached for a year; otherwise the browser revalidates
// with the ETag.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets.files[r.PathValue("name")]
	if !ok {
		s.notFound(w, r, "There is no such file.")
		return
	}
	s.serveAsset(w, r, f)
}

func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	s.serveAsset(w, r, s.assets.files["icon.svg"])
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request, f *asset) {
	h := w.Header()
	etag := `"` + f.hash + `"`
	h.Set("ETag", etag)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.ctype)
	h.Set("Content-Length", strconv.Itoa(len(f.data)))
	w.Write(f.data)
}
