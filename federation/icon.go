package federation

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
)

// IconPath is where actors' icons are served: IconPath + username + ".png".
const IconPath = "/icons/"

// iconURL is the stable URL of a local actor's icon.
func (s *Service) iconURL(a *LocalActor) string { return s.base + IconPath + a.Username + ".png" }

// iconSize is the side of an icon, in pixels (Mastodon shows avatars at
// 46 to 120 px and scales what it gets).
const iconSize = 240

// identicon draws the icon of an actor: a 5×5 symmetric pattern in a
// colour, both taken from the SHA-256 of its username, on a light
// background. The same username always gives the same image, so the icon
// needs no storage: collectives and groups have no picture of their own.
func identicon(username string) []byte {
	sum := sha256.Sum256([]byte(username))
	fg := color.RGBA{R: 40 + sum[0]%160, G: 40 + sum[1]%160, B: 40 + sum[2]%160, A: 255}
	bg := color.RGBA{R: 240, G: 240, B: 240, A: 255}
	img := image.NewPaletted(image.Rect(0, 0, iconSize, iconSize), color.Palette{bg, fg})
	const cells, margin = 5, 20
	cell := (iconSize - 2*margin) / cells
	for row := 0; row < cells; row++ {
		for col := 0; col < 3; col++ {
			if sum[3+row*3+col]%2 == 0 {
				continue
			}
			for _, c := range []int{col, cells - 1 - col} {
				for y := margin + row*cell; y < margin+(row+1)*cell; y++ {
					for x := margin + c*cell; x < margin+(c+1)*cell; x++ {
						img.SetColorIndex(x, y, 1)
					}
				}
			}
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory does not fail
	return b.Bytes()
}

// IconHandler serves the PNG icons of local actors at
// IconPath<username>.png; 404 for a username that names no public actor.
func (s *Service) IconHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, IconPath), ".png")
		if !ok || name == "" || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		a, err := s.ActorByUsername(r.Context(), name)
		if errors.Is(err, ErrNoActor) {
			http.NotFound(w, r)
			return
		} else if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "public, max-age=86400")
		_, _ = w.Write(identicon(a.Username))
	})
}
