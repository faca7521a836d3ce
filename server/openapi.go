package server

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"

	"github.com/gofiber/fiber/v2"
)

// The OpenAPI document is assembled at start from one fragment per area
// (server/openapi/*.json): each adds its paths and schemas, and a name
// defined twice is an error, so areas cannot overwrite each other.
//
//go:embed openapi/*.json
var openapiFS embed.FS

func buildOpenAPI() ([]byte, error) {
	names, err := fs.Glob(openapiFS, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var doc map[string]any
	for _, n := range names {
		b, err := openapiFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var frag map[string]any
		if err := json.Unmarshal(b, &frag); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if doc == nil {
			doc = frag
			continue
		}
		if err := mergeInto(doc, frag, n, 0); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

// mergeInto adds src's maps into dst two levels down (paths/<path>,
// components/<kind>/<name>); a name defined twice is an error.
func mergeInto(dst, src map[string]any, file string, depth int) error {
	for k, v := range src {
		cur, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		dm, ok1 := cur.(map[string]any)
		sm, ok2 := v.(map[string]any)
		// Only containers merge: the top-level "paths" and "components",
		// and the kinds inside "components". A path or a schema defined
		// by two fragments is an error.
		container := depth == 0 || depth == 1 && (k == "schemas" || k == "parameters" || k == "responses")
		if !ok1 || !ok2 || !container {
			return fmt.Errorf("openapi: %s defines %q again", file, k)
		}
		if err := mergeInto(dm, sm, file, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) openapi(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(s.openapiDoc)
}
