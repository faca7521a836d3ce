package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"collectif/fault"
)

// statusOf maps a domain fault kind to an HTTP status. This is the only
// place where the two meet.
func statusOf(k fault.Kind) int {
	switch k {
	case fault.Invalid:
		return fiber.StatusUnprocessableEntity
	case fault.NotFound:
		return fiber.StatusNotFound
	case fault.Conflict:
		return fiber.StatusConflict
	case fault.Forbidden:
		return fiber.StatusForbidden
	case fault.Unauthorized:
		return fiber.StatusUnauthorized
	case fault.Unavailable:
		return fiber.StatusServiceUnavailable
	case fault.Gone:
		return fiber.StatusGone
	case fault.TooLarge:
		return fiber.StatusRequestEntityTooLarge
	}
	return fiber.StatusInternalServerError
}

// kindOfStatus is the reverse, for errors raised by Fiber itself (no route,
// body too large, bad method).
func kindOfStatus(code int) fault.Kind {
	switch code {
	case fiber.StatusBadRequest, fiber.StatusUnprocessableEntity:
		return fault.Invalid
	case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
		return fault.NotFound
	case fiber.StatusRequestEntityTooLarge:
		return fault.TooLarge
	case fiber.StatusUnauthorized:
		return fault.Unauthorized
	case fiber.StatusForbidden:
		return fault.Forbidden
	case fiber.StatusServiceUnavailable:
		return fault.Unavailable
	}
	return fault.Internal
}

var titles = map[int]string{
	fiber.StatusBadRequest:            "Requête invalide",
	fiber.StatusUnauthorized:          "Connexion requise",
	fiber.StatusForbidden:             "Accès refusé",
	fiber.StatusNotFound:              "Page introuvable",
	fiber.StatusMethodNotAllowed:      "Méthode non autorisée",
	fiber.StatusConflict:              "Conflit",
	fiber.StatusGone:                  "Plus disponible",
	fiber.StatusRequestEntityTooLarge: "Envoi trop volumineux",
	fiber.StatusUnsupportedMediaType:  "Format non pris en charge",
	fiber.StatusUnprocessableEntity:   "Saisie invalide",
	fiber.StatusTooManyRequests:       "Trop de requêtes",
	fiber.StatusServiceUnavailable:    "Service momentanément indisponible",
}

var fiberMessages = map[int]string{
	fiber.StatusNotFound:              "Cette page n'existe pas ou plus.",
	fiber.StatusMethodNotAllowed:      "Cette adresse n'accepte pas cette méthode.",
	fiber.StatusRequestEntityTooLarge: "Le contenu envoyé dépasse la taille autorisée.",
	fiber.StatusRequestTimeout:        "La requête a pris trop de temps.",
}

// errorHandler answers an error: JSON under /api/, an HTML page elsewhere.
// An internal error is logged with its cause and answered with a generic
// message and the request ID, never with its text.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	var (
		status  int
		message string
		field   string
		kind    fault.Kind
	)
	var fe *fiber.Error
	if tm, ok := isTooMany(err); ok {
		status, kind, message = fiber.StatusTooManyRequests, fault.Unavailable, tm.Error()
	} else if errors.As(err, &fe) {
		status = fe.Code
		kind = kindOfStatus(fe.Code)
		message = fiberMessages[fe.Code]
		if message == "" {
			message = titles[fe.Code]
		}
	} else {
		kind = fault.KindOf(err)
		message = fault.MessageOf(err)
		field = fault.FieldOf(err)
		if kind == fault.Forbidden && principal(c).IsAnonymous() {
			// Refused to someone unknown: the answer is "who are you?".
			kind = fault.Unauthorized
			message = "authentification requise : connectez-vous (ou, pour l'API, utilisez un jeton d'accès). " + message
		}
		status = statusOf(kind)
	}
	if status >= 500 && kind == fault.Internal {
		s.log.ErrorContext(c.UserContext(), "internal error", "request_id", c.GetRespHeader(fiber.HeaderXRequestID), "err", err)
		message = "Une erreur interne est survenue. Référence : " + c.GetRespHeader(fiber.HeaderXRequestID)
	}
	c.Status(status)
	if strings.HasPrefix(c.Path(), "/api/") || wantsJSON(c) {
		code := kind.String()
		if status == fiber.StatusTooManyRequests {
			code = "rate_limited"
		}
		body := fiber.Map{"code": code, "message": message}
		if field != "" {
			body["field"] = field
		}
		return c.JSON(fiber.Map{"error": body})
	}
	title := titles[status]
	if title == "" {
		title = "Erreur"
	}
	c.Type("html", "utf-8")
	return s.d.Frontend.Render(c, "error", s.page(c, "", map[string]string{"Title": title, "Message": message}))
}

func wantsJSON(c *fiber.Ctx) bool {
	a := c.Get(fiber.HeaderAccept)
	return strings.Contains(a, "json") && !strings.Contains(a, "text/html")
}
