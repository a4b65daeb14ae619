"""French words and sentences the demo draws from: products of a home-goods shop, and for each
category of request a few scenarios a customer service really sees (subject, message, a summary for
phone notes, the answer that settles it), with the follow-ups around them.

Placeholders are filled by demo.texts: {commande} {facture} {montant} {date_commande} {produit}
{le_produit} {du_produit} {mon_produit} {e} (the customer's agreement) {pe} {il} (the
product's) {transporteur} {client} {client_nom} {agent} {equipe}
{societe} {jour}."""

from __future__ import annotations

COMPANY = "Maison Ondine"
STAFF_DOMAIN = "maison-ondine.example"
# Reserved .example domains: believable addresses that can never reach a real mailbox.
EMAIL_DOMAINS = (
    ("orange.example", 18),
    ("gmail.example", 22),
    ("free.example", 9),
    ("laposte.example", 6),
    ("sfr.example", 6),
    ("hotmail.example", 8),
    ("outlook.example", 5),
    ("wanadoo.example", 4),
    ("yahoo.example", 4),
    ("icloud.example", 3),
)

# (name, feminine, kind): scenarios name the kinds they make sense for (no screws for a rug).
MEUBLE, LUMINAIRE, TEXTILE, CUISINE, DECO = "meuble", "luminaire", "textile", "cuisine", "deco"
PRODUCTS = (
    ("canapé 3 places Oslo", False, MEUBLE),
    ("lampe de chevet en laiton", True, LUMINAIRE),
    ("parure de lit en lin lavé", True, TEXTILE),
    ("table basse en chêne massif", True, MEUBLE),
    ("lot de 6 verres à pied", False, CUISINE),
    ("cocotte en fonte 24 cm", True, CUISINE),
    ("tapis berbère 160 × 230", False, TEXTILE),
    ("paire de rideaux occultants", True, TEXTILE),
    ("miroir rond doré", False, DECO),
    ("étagère murale en noyer", True, MEUBLE),
    ("housse de coussin en velours", True, TEXTILE),
    ("service de table 18 pièces", False, CUISINE),
    ("fauteuil en rotin", False, MEUBLE),
    ("plaid en laine mérinos", False, TEXTILE),
    ("suspension en bambou", True, LUMINAIRE),
    ("poêle inox 28 cm", True, CUISINE),
    ("bougie parfumée à la figue", True, DECO),
    ("buffet scandinave", False, MEUBLE),
    ("commode 3 tiroirs", True, MEUBLE),
    ("chaise Lina", True, MEUBLE),
    ("drap de bain en coton bio", False, TEXTILE),
    ("horloge murale", True, DECO),
    ("applique murale en opaline", True, LUMINAIRE),
    ("bloc de couteaux de cuisine", False, CUISINE),
    ("bureau en chêne", False, MEUBLE),
    ("lampadaire arc", False, LUMINAIRE),
    ("vase en grès", False, DECO),
    ("cafetière à piston", True, CUISINE),
    ("théière en fonte", True, CUISINE),
    ("lampe à poser Globe", True, LUMINAIRE),
)

CARRIERS = ("Colissimo", "Chronopost", "DPD", "Mondial Relay", "GLS", "notre transporteur")

MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
    "octobre", "novembre", "décembre",
)  # fmt: skip
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

ORGANISATION_KINDS = (
    "Hôtel", "Restaurant", "Agence", "Cabinet", "Gîtes", "Résidence", "Atelier", "Boutique",
)  # fmt: skip

# Each scenario: subjects, the customer's written message, a short first-person line (chat),
# a third-person summary (what the agent types while on the phone), the answer that settles it.
SCENARIOS: dict[str, list[dict[str, object]]] = {
    "commande": [
        {
            "sujets": ("Modification de ma commande {commande}", "Changer la couleur d'un article"),
            "produits": (TEXTILE, MEUBLE, LUMINAIRE, DECO),
            "message": "J'ai passé la commande {commande} le {date_commande} et je voudrais "
            "changer la couleur {du_produit} : je préférerais le coloris sable. Est-ce encore "
            "possible avant l'expédition ?",
            "court": "Bonjour, je voudrais changer la couleur {du_produit} de ma commande "
            "{commande}.",
            "resume": "souhaite changer le coloris {du_produit} (commande {commande})",
            "reponse": "Votre commande {commande} n'était pas encore préparée : nous avons "
            "remplacé {le_produit} par le coloris sable, sans frais. Vous recevrez une nouvelle "
            "confirmation par email.",
        },
        {
            "sujets": ("Annulation de la commande {commande}", "Je souhaite annuler ma commande"),
            "produits": (MEUBLE, TEXTILE),
            "message": "Je me suis trompé{e} de dimensions en commandant {le_produit} le "
            "{date_commande}. Pouvez-vous annuler la commande {commande} et me rembourser ?",
            "court": "Bonjour, je voudrais annuler ma commande {commande}, erreur de dimensions.",
            "resume": "demande l'annulation de la commande {commande} (erreur de dimensions)",
            "reponse": "La commande {commande} est annulée. Le remboursement de {montant} sera "
            "visible sur votre compte bancaire sous 3 à 5 jours ouvrés.",
        },
        {
            "sujets": (
                "Changement d'adresse de livraison",
                "Commande {commande} : adresse erronée",
            ),
            "message": "Je viens de m'apercevoir que l'adresse de livraison de ma commande "
            "{commande} est mon ancienne adresse. Pouvez-vous la modifier ? Ma nouvelle adresse "
            "est dans mon espace client.",
            "court": "Bonjour, l'adresse de livraison de ma commande {commande} est erronée.",
            "resume": "l'adresse de livraison de la commande {commande} est l'ancienne adresse",
            "reponse": "Nous avons mis à jour l'adresse de livraison de la commande {commande} "
            "avant son départ de l'entrepôt. Le colis partira bien à votre nouvelle adresse.",
        },
        {
            "sujets": ("Code promo non pris en compte", "Réduction non appliquée"),
            "message": "Mon code de bienvenue n'a pas été appliqué sur la commande {commande} "
            "alors qu'il était valable. La réduction de 10 % n'apparaît pas sur la facture.",
            "court": "Bonjour, mon code promo n'a pas été pris en compte sur {commande}.",
            "resume": "code promo de bienvenue non appliqué sur la commande {commande}",
            "reponse": "Le code aurait bien dû s'appliquer. Nous vous remboursons la différence, "
            "soit {montant}, sur votre moyen de paiement d'origine.",
        },
        {
            "sujets": ("Commande passée en double", "Deux fois la même commande"),
            "message": "J'ai validé deux fois ma commande {commande} par erreur (la page ne "
            "répondait plus). J'ai été débité{e} deux fois. Pouvez-vous annuler le doublon ?",
            "court": "Bonjour, ma commande a été passée deux fois et je suis débité{e} deux fois.",
            "resume": "commande {commande} passée deux fois, double débit",
            "reponse": "Le doublon de la commande {commande} est annulé et le second débit de "
            "{montant} vous est remboursé. Toutes nos excuses pour ce désagrément.",
        },
        {
            "sujets": ("Disponibilité {du_produit}", "Quand {le_produit} sera-t-{il} de retour ?"),
            "message": "{Le_produit} est indiqué en rupture de stock depuis plusieurs semaines. "
            "Savez-vous quand il sera de nouveau disponible ?",
            "court": "Bonjour, savez-vous quand {le_produit} sera de nouveau en stock ?",
            "resume": "demande la date de retour en stock {du_produit}",
            "reponse": "{Le_produit} sera de nouveau disponible début {mois_suivant}. Nous avons "
            "activé une alerte : vous serez prévenu{e} par email dès son retour.",
        },
    ],
    "livraison": [
        {
            "sujets": ("Colis non reçu - commande {commande}", "Où est ma commande {commande} ?"),
            "message": "Le suivi {transporteur} de ma commande {commande} indique « livré » "
            "depuis deux jours, mais je n'ai rien reçu. Mes voisins n'ont pas de colis non plus.",
            "court": "Bonjour, mon colis est indiqué livré mais je ne l'ai pas reçu ({commande}).",
            "resume": "colis {commande} indiqué livré par {transporteur} mais non reçu",
            "reponse": "Le transporteur n'a pas pu fournir de preuve de livraison : nous vous "
            "renvoyons {le_produit} dès aujourd'hui en livraison express, sans frais.",
        },
        {
            "sujets": ("Retard de livraison", "Commande {commande} toujours pas livrée"),
            "message": "J'ai commandé {le_produit} le {date_commande}, la livraison était "
            "annoncée sous 5 jours et je n'ai toujours rien. Le suivi n'a pas bougé depuis une "
            "semaine.",
            "court": "Bonjour, ma commande {commande} a du retard, le suivi ne bouge plus.",
            "resume": "retard de livraison sur la commande {commande}, suivi bloqué",
            "reponse": "Votre colis était bloqué au dépôt de {transporteur}. Il a été remis en "
            "circulation et vous sera livré {jour}. Nous vous remboursons les frais de port.",
        },
        {
            "sujets": ("Colis endommagé à la livraison", "{Produit} arrivé{pe} cassé{pe}"),
            "produits": (CUISINE, DECO, LUMINAIRE, MEUBLE),
            "message": "J'ai reçu {le_produit} ce matin : le carton était enfoncé et l'article "
            "est cassé. J'ai fait une réserve auprès du livreur.",
            "court": "Bonjour, {le_produit} est arrivé cassé, j'ai fait une réserve.",
            "resume": "{le_produit} livré endommagé, réserve faite auprès du livreur",
            "reponse": "Merci pour les photos. Un nouvel exemplaire {du_produit} part "
            "aujourd'hui ; inutile de nous renvoyer l'article abîmé.",
        },
        {
            "sujets": ("Prise de rendez-vous de livraison", "Livraison {du_produit} : créneau"),
            "produits": (MEUBLE,),
            "message": "Le transporteur devait m'appeler pour convenir d'un rendez-vous de "
            "livraison pour {le_produit} ({commande}) mais personne ne m'a contacté{e}.",
            "court": "Bonjour, personne ne m'a appelé{e} pour le rendez-vous de livraison.",
            "resume": "aucun appel du transporteur pour fixer le rendez-vous (commande {commande})",
            "reponse": "Nous avons fixé avec le transporteur un rendez-vous {jour} entre 8 h et "
            "13 h. Vous recevrez un SMS de confirmation la veille.",
        },
        {
            "sujets": ("Colis incomplet", "Il manque un article dans ma commande"),
            "message": "J'ai bien reçu ma commande {commande} mais il manque {le_produit}. Le "
            "bon de livraison l'indique pourtant comme expédié.",
            "court": "Bonjour, il manque {le_produit} dans mon colis {commande}.",
            "resume": "commande {commande} incomplète, {le_produit} manquant",
            "reponse": "Une erreur a été commise lors de la préparation : {le_produit} vous est "
            "expédié séparément aujourd'hui, avec nos excuses.",
        },
    ],
    "facturation": [
        {
            "sujets": ("Remboursement non reçu", "Où en est mon remboursement ?"),
            "message": "J'ai retourné {le_produit} il y a trois semaines et je n'ai toujours pas "
            "reçu le remboursement de {montant}. Le retour est pourtant indiqué comme réceptionné.",
            "court": "Bonjour, je n'ai pas reçu le remboursement de mon retour ({montant}).",
            "resume": "attend le remboursement de {montant} pour le retour {du_produit}",
            "reponse": "Le remboursement de {montant} a été validé ce jour. Il apparaîtra sur "
            "votre relevé sous 3 à 5 jours ouvrés selon votre banque.",
        },
        {
            "sujets": ("Demande de facture", "Facture pour la commande {commande}"),
            "message": "Pourriez-vous m'envoyer la facture de la commande {commande} au nom de "
            "ma société ? J'en ai besoin pour ma comptabilité.",
            "court": "Bonjour, pouvez-vous m'envoyer la facture de la commande {commande} ?",
            "resume": "demande la facture {facture} au nom de sa société",
            "reponse": "Vous trouverez la facture {facture} dans votre espace client, rubrique "
            "« Mes commandes ». Elle est établie au nom de votre société.",
        },
        {
            "sujets": ("Double prélèvement", "Prélevé{e} deux fois"),
            "message": "Mon relevé bancaire montre deux prélèvements de {montant} pour la même "
            "commande {commande}. Pouvez-vous vérifier ?",
            "court": "Bonjour, j'ai été prélevé{e} deux fois de {montant}.",
            "resume": "deux prélèvements de {montant} pour la commande {commande}",
            "reponse": "Le second prélèvement était une pré-autorisation bancaire : elle sera "
            "levée automatiquement sous 7 jours. Vous ne serez débité{e} qu'une fois.",
        },
        {
            "sujets": ("Erreur sur ma facture {facture}", "Montant de la facture incorrect"),
            "message": "La facture {facture} ne tient pas compte de la remise accordée par votre "
            "conseiller. Le montant devrait être inférieur de {montant}.",
            "court": "Bonjour, la remise n'apparaît pas sur ma facture {facture}.",
            "resume": "remise de {montant} absente de la facture {facture}",
            "reponse": "Nous avons émis un avoir de {montant} et une facture rectifiée, "
            "disponibles dans votre espace client.",
        },
        {
            "sujets": ("Paiement en plusieurs fois", "Paiement en 3 fois refusé"),
            "produits": (MEUBLE,),
            "message": "Le paiement en trois fois sans frais m'a été refusé pour {le_produit}, "
            "alors que ma commande dépasse 300 €. Pourquoi ?",
            "court": "Bonjour, le paiement en 3 fois m'est refusé, pourquoi ?",
            "resume": "paiement en 3 fois refusé pour {le_produit}",
            "reponse": "Le paiement fractionné est accordé par notre partenaire financier ; il "
            "a été refusé car votre carte expire avant la dernière échéance. Avec une carte "
            "valide plus longtemps, il sera accepté.",
        },
    ],
    "produit": [
        {
            "sujets": ("Question sur {le_produit}", "Dimensions {du_produit}"),
            "produits": (MEUBLE,),
            "message": "Avant de commander {le_produit}, pouvez-vous me confirmer ses dimensions "
            "exactes et s'il passe dans un escalier de 80 cm de large ?",
            "court": "Bonjour, quelles sont les dimensions exactes {du_produit} ?",
            "resume": "question sur les dimensions {du_produit} avant achat",
            "reponse": "{Le_produit} mesure 78 cm dans sa plus grande largeur, emballage "
            "compris : il passera sans difficulté.",
        },
        {
            "sujets": ("Entretien {du_produit}", "Comment nettoyer {le_produit} ?"),
            "produits": (TEXTILE, CUISINE, MEUBLE),
            "message": "Comment entretenir {le_produit} ? La notice ne dit rien et je ne voudrais "
            "pas l'abîmer.",
            "court": "Bonjour, comment entretenir {le_produit} ?",
            "resume": "demande des conseils d'entretien pour {le_produit}",
            "reponse": "Un chiffon doux légèrement humide suffit ; évitez les produits "
            "abrasifs. Nous vous avons envoyé la fiche d'entretien complète par email.",
        },
        {
            "sujets": ("{Produit} différent{pe} de la photo", "Couleur différente du site"),
            "produits": (TEXTILE, DECO, LUMINAIRE, MEUBLE),
            "message": "{Le_produit} reçu{pe} n'a pas du tout la même teinte que sur les photos "
            "du site. Je suis déçu{e}.",
            "court": "Bonjour, {le_produit} n'a pas la couleur de la photo du site.",
            "resume": "{le_produit} d'une teinte différente des photos du site",
            "reponse": "Vous pouvez nous retourner {le_produit} gratuitement sous 30 jours : "
            "l'étiquette de retour est dans votre espace client. Nous avons signalé la photo à "
            "notre équipe produit.",
        },
        {
            "sujets": ("Notice de montage manquante", "Montage {du_produit}"),
            "produits": (MEUBLE, LUMINAIRE),
            "message": "La notice de montage {du_produit} n'était pas dans le carton. Pouvez-vous "
            "me l'envoyer ?",
            "court": "Bonjour, il manque la notice de montage {du_produit}.",
            "resume": "notice de montage {du_produit} absente du carton",
            "reponse": "Vous trouverez la notice de montage en pièce jointe et sur la fiche "
            "produit, onglet « Documents ».",
        },
    ],
    "sav": [
        {
            "sujets": ("{Produit} en panne", "Panne {du_produit}"),
            "produits": (LUMINAIRE,),
            "message": "{Le_produit} acheté{pe} il y a quatre mois ne fonctionne plus. {Il} est "
            "encore sous garantie. Que dois-je faire ?",
            "court": "Bonjour, {le_produit} ne fonctionne plus, il est sous garantie.",
            "resume": "{le_produit} en panne après quatre mois, sous garantie",
            "reponse": "Votre demande de garantie est acceptée : un transporteur viendra "
            "récupérer {le_produit} et un produit neuf vous sera envoyé dès réception.",
        },
        {
            "sujets": ("Pièce manquante", "Vis manquantes pour {le_produit}"),
            "produits": (MEUBLE,),
            "message": "Il manque le sachet de vis pour monter {le_produit}. Pouvez-vous me "
            "l'envoyer ?",
            "court": "Bonjour, il manque les vis pour monter {le_produit}.",
            "resume": "sachet de visserie manquant pour {le_produit}",
            "reponse": "Le sachet de visserie vous a été envoyé par courrier suivi ; vous "
            "devriez le recevoir sous 3 jours ouvrés.",
        },
        {
            "sujets": ("Retour {du_produit}", "Demande de retour"),
            "message": "Je souhaite retourner {le_produit}, qui ne convient pas à ma pièce. "
            "Comment faire ?",
            "court": "Bonjour, comment retourner {le_produit} ?",
            "resume": "souhaite retourner {le_produit}",
            "reponse": "Votre retour est enregistré. L'étiquette prépayée est disponible dans "
            "votre espace client ; le remboursement suivra la réception du colis.",
        },
        {
            "sujets": ("Défaut sur {le_produit}", "{Produit} abîmé{pe} après quelques semaines"),
            "produits": (TEXTILE, MEUBLE, CUISINE, DECO),
            "message": "Après trois semaines, {le_produit} présente déjà un défaut (fissure / "
            "couture qui lâche). Ce n'est pas normal pour ce prix.",
            "court": "Bonjour, {le_produit} présente un défaut après trois semaines.",
            "resume": "défaut sur {le_produit} après trois semaines d'utilisation",
            "reponse": "Nous prenons en charge le remplacement {du_produit}. Le nouvel article "
            "part {jour} ; gardez l'ancien, aucun retour n'est nécessaire.",
        },
        {
            "sujets": ("Réparation {du_produit}", "Intervention d'un technicien"),
            "produits": (MEUBLE,),
            "message": "Le mécanisme {du_produit} est bloqué. Est-il possible de faire venir un "
            "technicien ?",
            "court": "Bonjour, le mécanisme {du_produit} est bloqué, un technicien peut passer ?",
            "resume": "mécanisme {du_produit} bloqué, demande un technicien",
            "reponse": "Un technicien de notre partenaire passera {jour} ; il vous appellera "
            "30 minutes avant son arrivée.",
        },
    ],
    "compte": [
        {
            "sujets": ("Impossible de me connecter", "Mot de passe oublié"),
            "message": "Je n'arrive plus à me connecter à mon espace client et je ne reçois pas "
            "l'email de réinitialisation du mot de passe.",
            "court": "Bonjour, je ne reçois pas l'email de réinitialisation du mot de passe.",
            "resume": "ne reçoit pas l'email de réinitialisation du mot de passe",
            "reponse": "L'email était bloqué par votre messagerie. Nous vous avons renvoyé un "
            "lien valable 24 heures ; pensez à vérifier vos courriers indésirables.",
        },
        {
            "sujets": ("Suppression de mon compte", "Demande de suppression de mes données"),
            "message": "Je souhaite que mon compte et mes données personnelles soient supprimés.",
            "court": "Bonjour, je souhaite supprimer mon compte et mes données.",
            "resume": "demande la suppression de son compte et de ses données",
            "reponse": "Votre compte est supprimé. Seules les factures sont conservées, comme la "
            "loi nous y oblige, pendant 10 ans.",
        },
        {
            "sujets": ("Désinscription de la newsletter", "Trop d'emails publicitaires"),
            "message": "Je reçois encore vos emails publicitaires alors que je me suis "
            "désinscrit{e} il y a un mois.",
            "court": "Bonjour, je reçois encore la newsletter malgré ma désinscription.",
            "resume": "reçoit la newsletter malgré sa désinscription",
            "reponse": "Votre adresse est retirée de toutes nos listes de diffusion ; il peut "
            "arriver qu'un dernier envoi déjà programmé vous parvienne.",
        },
        {
            "sujets": ("Modification de mon adresse email", "Changer d'adresse email"),
            "message": "Je voudrais changer l'adresse email associée à mon compte, l'ancienne "
            "n'existe plus.",
            "court": "Bonjour, je voudrais changer l'adresse email de mon compte.",
            "resume": "souhaite changer l'adresse email de son compte",
            "reponse": "C'est fait : vous pouvez maintenant vous connecter avec votre nouvelle "
            "adresse. Un email de confirmation vous a été envoyé.",
        },
    ],
}

GENERIC_SCENARIOS: list[dict[str, object]] = [
    {
        "sujets": ("Demande d'information", "Question"),
        "message": "J'aurais besoin d'une précision au sujet de ma commande {commande}. "
        "Pouvez-vous me rappeler ou me répondre par email ?",
        "court": "Bonjour, j'ai une question sur ma commande {commande}.",
        "resume": "question sur la commande {commande}",
        "reponse": "Voici les précisions demandées au sujet de la commande {commande}. N'hésitez "
        "pas à revenir vers nous si besoin.",
    },
]

# Agents asking for what they need: the case then waits on the customer.
ASK_INFO = {
    "commande": "Pourriez-vous nous confirmer le coloris et la quantité souhaités ?",
    "livraison": "Pourriez-vous nous envoyer une photo du colis et de l'étiquette du "
    "transporteur ?",
    "facturation": "Pourriez-vous nous indiquer les quatre derniers chiffres de la carte "
    "utilisée pour le paiement ?",
    "produit": "Pourriez-vous nous préciser la référence indiquée sur l'étiquette de l'article ?",
    "sav": "Pourriez-vous nous transmettre une photo du défaut et le numéro de lot inscrit sous "
    "l'article ?",
    "compte": "Pour des raisons de sécurité, pouvez-vous nous confirmer l'adresse de livraison "
    "de votre dernière commande ?",
}
ASK_INFO_DEFAULT = "Pourriez-vous nous apporter quelques précisions sur votre demande ?"

CUSTOMER_ANSWERS = (
    "Voici les informations demandées. Merci de votre aide.",
    "Je vous envoie les photos en pièce jointe. Le carton était enfoncé sur un côté.",
    "Il s'agit bien de la commande {commande}. Merci de faire au plus vite.",
    "Voilà, j'espère que cela suffira pour traiter ma demande.",
    "Les quatre derniers chiffres sont ceux de ma carte habituelle ; dites-moi s'il vous faut "
    "autre chose.",
)

INVESTIGATING = (
    "J'ai transmis votre demande au service concerné ; je vous tiens informé{e} dès que "
    "j'ai leur retour.",
    "Votre dossier est en cours d'étude, je vous réponds sous 48 heures.",
    "Je vérifie quelques points et je reviens vers vous au plus tard {jour}.",
)
INVESTIGATING_BY_CATEGORY = {
    "livraison": (
        "Nous vérifions auprès de {transporteur} et revenons vers vous rapidement.",
        "Je me renseigne auprès de notre entrepôt et je reviens vers vous au plus tard {jour}.",
    ),
    "commande": (
        "Je me renseigne auprès de notre entrepôt et je reviens vers vous au plus tard {jour}.",
    ),
}

CHASERS = (
    "Je me permets de vous relancer : je n'ai toujours pas de réponse à ma demande du "
    "{date_demande}.",
    "Avez-vous du nouveau concernant ma demande ? Cela commence à être long.",
    "Pouvez-vous me tenir informé{e} de l'avancement de mon dossier ?",
)

NOTES = {
    "commande": (
        "Commande {commande} encore en préparation, modification possible.",
        "Vu avec la logistique : la commande {commande} n'est pas partie.",
    ),
    "livraison": (
        "Suivi {transporteur} : colis bloqué au dépôt de Gennevilliers depuis 3 jours.",
        "Pas de preuve de livraison fournie par {transporteur}, réclamation ouverte chez eux.",
        "Client déjà livré en retard le mois dernier, geste commercial à prévoir.",
    ),
    "facturation": (
        "Remboursement de {montant} validé par la comptabilité.",
        "Pré-autorisation bancaire, pas de double débit réel.",
        "Avoir à émettre, en attente de validation du responsable.",
    ),
    "produit": (
        "Question fréquente : fiche produit à compléter, signalé à l'équipe catalogue.",
        "Photo du site retouchée, remontée au marketing.",
    ),
    "sav": (
        "Lot concerné par plusieurs retours ce mois-ci, remonté au fournisseur.",
        "Garantie vérifiée : achat il y a 4 mois, prise en charge OK.",
        "Technicien partenaire disponible {jour}.",
    ),
    "compte": (
        "Identité vérifiée (adresse de la dernière commande).",
        "Demande RGPD : suppression à traiter sous un mois.",
    ),
}
NOTES_DEFAULT = ("Client relancé, en attente de retour.", "Dossier vérifié, rien d'anormal.")

NO_ANSWER_REMINDER = (
    "Sans nouvelles de votre part, nous clôturerons votre demande dans quelques jours. Vous "
    "pouvez bien sûr nous répondre à tout moment pour la rouvrir."
)

REOPEN_MESSAGES = {
    "commande": ("La modification annoncée n'apparaît pas dans mon espace client.",),
    "livraison": ("Je n'ai toujours rien reçu malgré votre réponse. Pouvez-vous vérifier ?",),
    "facturation": ("Le remboursement annoncé n'apparaît toujours pas sur mon compte.",),
    "produit": ("Finalement je ne suis pas convaincu{e} : {le_produit} pose toujours souci.",),
    "sav": ("Finalement le problème n'est pas réglé : {le_produit} pose toujours souci.",),
    "compte": ("Votre solution ne fonctionne pas, je suis toujours bloqué{e}.",),
}
REOPEN_DEFAULT = ("Finalement ma demande n'est pas réglée. Pouvez-vous regarder à nouveau ?",)
REOPEN_REASONS = (
    "Le problème n'est pas résolu.",
    "La solution proposée ne fonctionne pas.",
    "Je n'ai pas reçu ce qui était annoncé.",
)

# A new case from the same customer about the same thing, days after the first was resolved.
REPEAT_SUBJECTS = (
    "Suite à ma demande du {date_demande}",
    "Toujours le même problème",
    "Relance - commande {commande}",
    "Nouvelle réclamation",
)
REPEAT_MESSAGES = (
    "J'ai déjà contacté votre service le {date_demande} et on m'avait assuré que c'était "
    "réglé, mais ce n'est pas le cas. {court}",
    "Je reviens vers vous car la solution proposée la semaine dernière n'a rien changé. {court}",
    "C'est la deuxième fois que je vous écris à ce sujet. {court}",
)

CALL_OUTCOMES = (
    "Solution expliquée au téléphone, le client est d'accord.",
    "Explications données ; confirmation envoyée par email.",
    "Le client rappellera si le problème persiste.",
    "Client rassuré, rien d'autre à faire de son côté.",
)
CALLBACK_OPENINGS = (
    "Rappel du client suite à son message.",
    "Appel sortant pour faire le point sur la demande.",
)

TRANSFER_TO_TEAM = (
    "Relève de l'équipe {equipe}.",
    "Mauvaise catégorie, transmis à l'équipe {equipe}.",
    "Demande à traiter par {equipe}.",
)
TRANSFER_IN_TEAM = (
    "Absence de {agent}, dossier réattribué.",
    "Rééquilibrage de la charge de l'équipe.",
    "Dossier repris par un conseiller plus expérimenté.",
)
DISCARD_REASONS = ("Doublon d'une autre demande.", "Message publicitaire, pas une demande.")
NO_ANSWER_CLOSE_REASON = "Sans réponse du client malgré une relance."

TAGS = {
    "livraison": ("retard", "colis-endommagé", "transporteur"),
    "facturation": ("remboursement", "geste-commercial"),
    "sav": ("garantie", "retour"),
    "produit": ("fiche-produit",),
    "commande": ("modification",),
    "compte": ("rgpd",),
}

GREETINGS_CUSTOMER = ("Bonjour,", "Bonjour,", "Bonjour Madame, Monsieur,", "Bonsoir,")
CLOSINGS_CUSTOMER = ("Cordialement,", "Merci d'avance,", "Bien à vous,", "Merci,")
CLOSINGS_AGENT = ("Bien cordialement,", "Belle journée,", "Cordialement,")
