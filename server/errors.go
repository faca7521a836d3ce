package server

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"collectif/fault"
	"collectif/frontend"
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

// titles and fiberMessages are message IDs of frontend/locales.
var titles = map[int]string{
	fiber.StatusBadRequest:            "error.bad_request",
	fiber.StatusUnauthorized:          "error.unauthorized",
	fiber.StatusForbidden:             "error.forbidden",
	fiber.StatusNotFound:              "error.not_found",
	fiber.StatusMethodNotAllowed:      "error.method",
	fiber.StatusConflict:              "error.conflict",
	fiber.StatusGone:                  "error.gone",
	fiber.StatusRequestEntityTooLarge: "error.too_large",
	fiber.StatusUnsupportedMediaType:  "error.media_type",
	fiber.StatusUnprocessableEntity:   "error.invalid",
	fiber.StatusTooManyRequests:       "error.too_many",
	fiber.StatusServiceUnavailable:    "error.unavailable",
}

var fiberMessages = map[int]string{
	fiber.StatusNotFound:              "error.not_found_text",
	fiber.StatusMethodNotAllowed:      "error.method_text",
	fiber.StatusRequestEntityTooLarge: "error.too_large_text",
	fiber.StatusRequestTimeout:        "error.timeout_text",
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
		french  bool // message is a domain fault's French, for want of a translation
	)
	var fe *fiber.Error
	if tm, ok := isTooMany(err); ok {
		status, kind, message = fiber.StatusTooManyRequests, fault.Unavailable, s.tr(c, "error.too_many_text", tm.wait)
	} else if errors.As(err, &fe) {
		status = fe.Code
		kind = kindOfStatus(fe.Code)
		message = fiberMessages[fe.Code]
		if message == "" {
			message = titles[fe.Code]
		}
		if message != "" {
			message = s.tr(c, message)
		}
	} else {
		kind = fault.KindOf(err)
		message = s.faultText(c, err)
		french = kind != fault.Internal && lang(c) != frontend.French && message == fault.MessageOf(err)
		field = fault.FieldOf(err)
		if kind == fault.Forbidden && principal(c).IsAnonymous() {
			// Refused to someone unknown: the answer is "who are you?".
			kind = fault.Unauthorized
			message = s.tr(c, "error.login_first", "Message", message)
		}
		status = statusOf(kind)
	}
	if status >= 500 && kind == fault.Internal {
		s.log.ErrorContext(c.UserContext(), "internal error", "request_id", c.GetRespHeader(fiber.HeaderXRequestID), "err", err)
		message = s.tr(c, "error.internal", "Ref", c.GetRespHeader(fiber.HeaderXRequestID))
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
	title := s.tr(c, "error.error")
	if id := titles[status]; id != "" {
		title = s.tr(c, id)
	}
	c.Type("html", "utf-8")
	data := map[string]string{"Title": title, "Message": message}
	if french {
		// A domain message without a translation stays French: say so,
		// for screen readers and translation tools.
		data["MessageLang"] = frontend.French
	}
	return s.d.Frontend.Render(c, "error", s.page(c, "", data))
}

func wantsJSON(c *fiber.Ctx) bool {
	a := c.Get(fiber.HeaderAccept)
	return strings.Contains(a, "json") && !strings.Contains(a, "text/html")
}
