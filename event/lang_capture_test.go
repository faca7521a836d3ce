package event_test

import "collectif/event"

var mailLangs = []string{"fr"}

func setLang(*event.Registrant, string) {}
