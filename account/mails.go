package account

import (
	"fmt"
	"strings"
)

// mailData is what the texts of the account's mails read.
type mailData struct {
	Name  string // the account's
	Email string // the account's address
	New   string // e-mail change: the new address
	Link  string // e-mail change: the confirmation link
	Base  string // the hub's address
	Host  string // the hub's host name, for the signature
}

// write makes the subject and text of mail name in lang.
func write(lang, name string, d *mailData) (subject, text string, err error) {
	switch name {
	case "welcome":
		return "Bienvenue sur " + d.Host, fmt.Sprintf(`Bonjour %s,

votre compte sur %s est créé avec l'adresse %s.

Pour vous connecter : %s/login

Vous pourrez ensuite rejoindre des collectifs et leurs groupes de travail,
partager des ressources et déclarer les logiciels libres de votre collectivité.

-- 
%s
`, d.Name, d.Host, d.Email, d.Base, d.Host), nil
	case "email_confirm":
		return "Confirmez votre nouvelle adresse sur " + d.Host, fmt.Sprintf("Bonjour,\n\nPour utiliser cette adresse pour votre compte sur %s, ouvrez ce lien dans les 24 heures :\n\n%s\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n\n-- \n%s\n", d.Host, d.Link, d.Host), nil
	case "email_notice":
		return "Changement d'adresse demandé sur " + d.Host, fmt.Sprintf("Bonjour,\n\nun changement de l'adresse de votre compte sur %s vers %s a été demandé.\nIl ne prendra effet que si le lien envoyé à la nouvelle adresse est ouvert.\nSi vous n'êtes pas à l'origine de cette demande, changez votre mot de passe et fermez vos sessions depuis la page de votre compte.\n\n-- \n%s\n", d.Host, d.New, d.Host), nil
	}
	return "", "", fmt.Errorf("no mail %q", strings.TrimSpace(name))
}
