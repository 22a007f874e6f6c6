"""How urgent a piece of feedback is: low, normal or high, with the signals that raised it.

Signals are case-insensitive regular expressions in English and German, anchored on word
boundaries so that "download" is not "down" and "Passwortmanager" is not a leaked password.
Each signal found is reported once, with the first text it matched, so a person can see why.

Rules, applied in this order:

1. ``high`` when any of ``outage``, ``data_loss``, ``security_privacy``, ``legal_threat`` or
   ``urgent_plea`` is present: someone cannot use the service, lost something, is exposed, is
   going to court, or asks for help now ("Bitte dringend helfen!", "this is an emergency").
   Urgent words without a plea are eagerness, not harm: "I urgently need dark mode" and
   "dringend empfehlenswert" are not urgent (a feature request stays a feature request).
2. ``high`` when ``payment`` and ``churn_threat`` are both present: a paying customer with a
   money problem who is about to leave.
3. ``normal`` when ``payment`` or ``churn_threat`` is present alone.
4. ``low`` otherwise.
5. ``many_reports``: when the caller says that at least ``many_reports_threshold`` similar
   reports arrived recently (``similar_recent_count``, computed by the service), the signal is
   added and the level goes up one step (low → normal → high): one user's problem is a
   nuisance, the same problem from many users is an incident.

What the patterns do not do: they do not understand negation ("I'm not switching to anything"
still reads as ``churn_threat``; it can raise the level to normal, never to high on its own), and
a bare "password" or "Passwort" ("Passwort vergessen") is a login question, not a security
signal; it counts only next to words like leaked, stolen, changed by someone, plain text.
"""

import re
from dataclasses import dataclass
from typing import Any

from haystack import Document, component

LEVELS = ("low", "normal", "high")
HIGH_SIGNALS = ("outage", "data_loss", "security_privacy", "legal_threat", "urgent_plea")
NORMAL_SIGNALS = ("payment", "churn_threat")
MANY_REPORTS = "many_reports"
SIGNALS = (*HIGH_SIGNALS, *NORMAL_SIGNALS, MANY_REPORTS)
DEFAULT_MANY_REPORTS_THRESHOLD = 5

# Nouns for "the things a user can lose", English and German (singular and plural).
_DATA_EN = (
    r"(?:data|files?|notes?|photos?|pictures?|images?|drafts?|work|progress|documents?|docs|messages?"
    r"|contacts?|history|projects?|entries|saves?|backups?|recordings?|videos?|playlists?|notebooks?|everything)"
)
_DATA_DE = (
    r"(?:daten|dateien|datei|notizen|notiz|fotos|bilder|entwürfe|entwurf|dokumente|dokument"
    r"|nachrichten|kontakte|projekte|einträge|spielstände|spielstand|fortschritt|backups?"
    r"|videos|aufnahmen|chats?|verlauf|notizbücher|notizbuch)"
)

_PATTERNS: dict[str, list[str]] = {
    "outage": [
        # English
        r"\boutage\b",
        r"\b(?:is|are|was|were|been|be|went|goes|going|still|all|completely|totally|site|server|servers"
        r"|app|service|website|api|platform|everything|it'?s)\s+down(?![\w-])",
        r"\bdown for (?:everyone|everybody|all of us|hours|days|me and)\b",
        r"\bnothing (?:works|is working|loads|is loading)\b",
        r"\b(?:can(?:no|')?t|cannot|unable to) (?:access|reach|connect to|load) (?:the |your )?"
        r"(?:site|website|app|service|server|servers|platform|anything)\b",
        r"\bservice (?:is )?unavailable\b",
        # "offline" needs a verb: "is the app usable offline?" is a question about a feature
        r"\b(?:server|servers|site|website|service|app|api|sync|platform)\s+(?:is|are|was|were|went)\s+"
        r"(?:\w+\s+)?offline\b(?!\s+(?:usable|available|mode|too|as well))",
        r"\b(?:50[234]) (?:error|bad gateway|gateway)",
        # German
        r"\b(?:nicht|kaum) (?:mehr |wieder )?erreichbar\b",
        r"\bgeht (?:gar |überhaupt |absolut )?nichts mehr\b",
        r"\bnichts geht mehr\b",
        r"\bfunktioniert (?:gar |überhaupt |absolut )?nichts mehr\b",
        r"\b(?:server|netz|dienst|system|komplett)?(?:ausfall|ausfälle)\b",
        # not the polite "Entschuldigung für die Störung" (sorry to bother you)
        r"(?<!für die )(?<!sie die )\b(?:server|netz|dienst|system)?(?:störung|störungen)\b",
        r"\b(?:ist|sind|war|waren)\s+(?:\w+\s+)?down(?![\w-])",
        r"\b(?:server|seite|website|webseite|dienst|plattform)\s+(?:ist |sind |war |waren )?(?:\w+\s+){0,3}"
        r"(?:down|offline)(?![\w-])(?!\s+(?:nutzbar|verfügbar|lesbar|bearbeiten|arbeiten))",
        r"\bausgefallen\b",
    ],
    "data_loss": [
        # English
        rf"\b(?:lost|keeps? losing)\s+(?:all\s+|every\s+|most\s+|half\s+)?(?:of\s+)?(?:my|our|the)\s+"
        rf"(?:\w+\s+)?{_DATA_EN}\b",
        rf"\b{_DATA_EN}\s+(?:is|are|was|were|got|has been|have been|just|all|completely)?\s*"
        r"(?:gone|deleted|wiped|erased|disappeared|vanished|missing(?!\s+(?:a|an|the|some|any)\b))\b",
        r"\b(?:deleted|wiped|erased)\s+(?:all|everything|my|our)\b",
        rf"\blost\s+(?:\w+\s+){{1,3}}of\s+(?:my\s+|our\s+)?{_DATA_EN}\b",  # "lost three months of work"
        rf"\b(?:overwrote|overwritten|replaced)\s+(?:all\s+)?(?:of\s+)?(?:my|our)\s+(?:\w+\s+)?{_DATA_EN}\b",
        r"\bdata loss\b",
        # German
        r"\bdatenverlust\w*",
        rf"\b(?:{_DATA_DE}|alles)\s+(?:(?:ist|sind|war|waren|wurde|wurden|einfach|alle|komplett|plötzlich"
        r"|auf einmal|mehr)\s+){0,3}(?:weg|verschwunden|verloren|futsch)\b",
        # "gelöscht" only for things, or for "alles" in the passive or done by the app:
        # "ich habe alles gelöscht und neu installiert" is troubleshooting, not a loss.
        # ... and with a verb or adverb in between: "werden die Notizen gelöscht?" is a question
        rf"\b(?:{_DATA_DE}|account|konto|profil)\s+(?:(?:ist|sind|war|waren|wurde|wurden|einfach|alle"
        r"|komplett|plötzlich|auf einmal|automatisch)\s+){1,3}(?:gelöscht|überschrieben)\b",
        rf"\b(?:alle|sämtliche)\s+(?:meine\s+|unsere\s+)?{_DATA_DE}\s+(?:gelöscht|überschrieben)\b",
        rf"\b(?:wurde|wurden)\s+(?:\w+\s+)?(?:mein|meine|unsere|alle)\s+(?:\w+\s+)?{_DATA_DE}\s+"
        r"(?:gelöscht|überschrieben)\b",
        r"\b(?:hat|haben|wurde|wurden|ist|sind)\s+(?:\w+\s+){0,3}?(?:alles|alle\s+\w+)\s+(?:gelöscht|überschrieben)\b",
    ],
    "payment": [
        # English
        r"\b(?:charged|billed)\s+(?:me\s+)?(?:twice|double|two times|three times|again|without)\b",
        r"\bdouble[- ]?(?:charged|billed|charge)\b",
        r"\brefund(?:s|ed)?\b",
        r"\bcharge-?backs?\b",
        r"\bmoney back\b",
        r"\bunauthori[sz]ed (?:charges?|payments?|transactions?|debits?)\b",
        r"\bover-?(?:charged|billed)\b",
        r"\bstill (?:being )?(?:charged|billed)\b",
        r"\bwrong (?:amount|charge|invoice)\b",
        # German
        r"\b(?:doppelt|zweimal|mehrfach|zweifach|dreimal|schon wieder)\s+"
        r"(?:abgebucht|berechnet|belastet|bezahlt|abgerechnet)\b",
        r"\babgebucht\b",
        r"\brückerstattung\w*",
        r"\b(?:erstatten|erstattet|zurückerstatten|zurückerstattet)\b",
        r"\bgeld zurück\b",
        r"\brücklastschrift\w*",
        r"\bzu viel (?:berechnet|bezahlt|abgebucht)\b",
        r"\b(?:falsche|unberechtigte|unerlaubte)n? (?:abbuchung|rechnung|belastung|betrag)\w*",
    ],
    "security_privacy": [
        # English
        r"\bhack(?:ed|ers?)\b",
        r"\bsomeone (?:else )?(?:has )?(?:logged|signed|got|broke) in(?:to)?\b",
        r"\bunauthori[sz]ed (?:access|log-?ins?|sign-?ins?)\b",
        r"\b(?:account|accounts|data)\s+(?:was |were |got |has been |have been )?"
        r"(?:compromised|taken over|stolen)\b",
        r"\bdata (?:breach|leak)\w*",
        r"\b(?:passwords?|credentials|personal data|emails?|e-mail addresses|addresses|phone numbers)\s+"
        r"(?:were |was |got |are |is |has been |have been )?(?:leaked|exposed|stolen|visible|public)\b",
        r"\b(?:passwords?|credentials)\b[^.!?\n]{0,30}?\b(?:in (?:plain ?text|clear ?text)|leaked|stolen"
        r"|changed without|changed by someone)\b",
        r"\bphishing\b",
        r"\bsecurity (?:vulnerabilit(?:y|ies)|holes?|flaws?|issues?|bugs?|breach(?:es)?|problems?)\b",
        r"\bvulnerabilit(?:y|ies)\b",
        r"\b(?:gdpr|dsgvo)[- ]?(?:request|complaint|violation|breach|verstoß|verletzung|beschwerde"
        r"|auskunft\w*|anfrage)\b",
        r"\b(?:violat\w+|breach\w*|against) (?:the )?gdpr\b",
        r"\bprivacy (?:violation|breach|issue|problem|concern)s?\b",
        r"\b(?:see|seeing|saw|shows?|showing) (?:other|another|someone else's|a stranger's) "
        r"(?:(?:users?'?s?|people's|person's|customers?'?s?)\s+)?(?:data|messages|notes|files|orders|invoices|accounts?"
        r"|profiles?)\b",
        r"\bidentity theft\b",
        # German
        r"\bgehackt\b",
        r"\bdatenle(?:ck|cks|ak)\b",
        r"\bdatenpanne\w*",
        r"\bdatenschutz(?:verstoß|verstöße|verletzung|problem|beauftragte[nr]?|behörde)\b",
        r"\bsicherheits(?:lücke|lücken|problem|probleme|leck)\b",
        r"\b(?:verstoß|verstöße|verletzung)\s+(?:\w+\s+)?gegen\s+(?:die\s+|den\s+)?(?:dsgvo|gdpr|datenschutz)\b",
        r"\bjemand (?:anderes |fremdes )?(?:hat sich|war|ist) (?:\w+\s+){0,5}?"
        r"(?:eingeloggt|angemeldet|drin)\b",
        r"\b(?:fremde|unbekannte|unbefugte)[rnm]?\s+(?:anmeldung|login|zugriff|gerät)\w*",
        r"\b(?:passwort|passwörter|kennwort)\b[^.!?\n]{0,40}?\b(?:im klartext|geleakt|gestohlen|"
        r"veröffentlicht|ohne mein\w*(?: \w+)?|von jemand\w*|geändert,? obwohl|sichtbar)",
        r"\bfremde (?:daten|nachrichten|notizen|dateien|bestellungen|konten|rechnungen)\b",
        r"\bdaten (?:anderer|fremder) (?:nutzer|kunden|personen|leute)\b",
        r"\bidentitätsdiebstahl\b",
    ],
    "legal_threat": [
        # English
        r"(?<!i'm a )(?<!i am a )(?<!i'm an )(?<!i am an )(?<!as a )(?<!as an )"  # the writer's profession
        r"\b(?:lawyers?|attorneys?|solicitors?|legal action|lawsuits?|legal steps)\b",
        r"\bbreach of contract\b",
        r"\b(?:sue|suing)\s+(?:you|your|them|the company|this company|for)\b",
        r"\b(?:will|going to|gonna|i'?ll|we'?ll) sue\b",
        r"\b(?:take|taking) (?:you|this|it|them) to court\b",
        r"\bsmall claims\b",
        r"\b(?:consumer protection|trading standards|ftc|data protection authority)\b",
        # German
        r"(?<!ich bin )(?<!bin )(?<!als )\b(?:rechts)?anw(?:a|ä)lt\w*",  # not "ich bin Anwalt"
        r"\banwaltlich\w*",
        r"\bverbraucherzentrale\b",
        r"\babmahn\w*",
        r"\b(?:sammel)?klage\b",
        r"\bverklag\w*",
        r"\brechtliche (?:schritte|konsequenzen)\b",
        r"\bvor gericht\b",
    ],
    "urgent_plea": [
        # asking for help now: urgency words next to help, or an emergency named as such; not
        # eagerness for a feature ("I urgently need dark mode", "dringend empfehlenswert")
        # English
        r"\b(?:help|support|assistance)\b[^.!?\n]{0,30}?\b(?:urgent(?:ly)?|asap|right now|immediately)\b",
        r"\b(?:urgent(?:ly)?|asap|immediate)\b[^.!?\n]{0,30}?\b(?:help|support|assistance)\b",
        r"\b(?:this is|it'?s|it is|we have|i have) an? (?:real |absolute )?emergency\b",
        r"\bemergency\s*[!:]",
        # German
        r"\b(?:dringend|sofort|umgehend|asap)\b[^.!?\n]{0,30}?\b(?:hilfe|helfen|support)\b",
        r"\b(?:hilfe|helfen|support)\b[^.!?\n]{0,20}?\b(?:dringend|sofort|umgehend)\b",
        r"(?<!im )(?<!für den )(?<!für )\bnotfall\b(?!-?(?:kontakt|nummer|modus|plan))",
    ],
    "churn_threat": [
        # English
        r"\bcancel(?:l?ing|l?ed|s)?\s+(?:my|our|the)\s+(?:\w+\s+)?(?:subscription|account|membership|plan"
        r"|contract)\b",
        # intent to leave needs a subject; the one cheap negation check ("I'm not switching to")
        # is here, where it is common; UI targets ("switch to dark mode") are not churn.
        r"\b(?:i'?m|i am|we'?re|we are|i'?ll|we'?ll|i will|we will|gonna|going to|about to|time to)\s+"
        r"(?:(?!not\b|never\b)\w+\s+)?(?:switch(?:ing)?|mov(?:e|ing)|migrat(?:e|ing)|go(?:ing)? back)\s+to\b"
        r"(?!\s+(?:the\s+|a\s+)?(?:new|old|dark|light|desktop|mobile|web|next|previous|settings|tab|page|mode"
        r"|version|landscape|portrait|annual|yearly|pro|premium)\b)",
        r"\b(?:switch(?:ing|ed)?|mov(?:e|ing|ed)) (?:to|over to) (?:a |another |the )?competitors?\b",
        r"\bunsubscrib(?:e|ing)\b(?!\s+from\s+(?:the\s+|your\s+|these\s+)?(?:e-?mails?|newsletters?|notifications?"
        r"|mails?))",
        r"\buninstall(?:ing|ed)?\b",
        r"\b(?:delete|close|deleting|closing)\s+my\s+account\b",
        r"\blooking for (?:an? )?alternatives?\b",
        r"\bnot (?:renewing|paying for this)\b",
        r"\blast straw\b",
        # German
        r"\b(?:ge)?kündig\w*",
        r"\bwechs(?:le|eln|elt)\s+(?:\w+\s+)?(?:zu|zur|zum|auf)\b"
        r"(?!\s+(?:de[mnr]\s+|die\s+|das\s+)?(?:dunkel|hell|dark|light|desktop|mobil|jahres|monats|neue|alte|pro"
        r"|premium|nächste|vorherige))",
        r"\b(?:zur|zu der) konkurrenz\b",
        r"\b(?:abo|abonnement|konto|account|mitgliedschaft|vertrag)\s+(?:\w+\s+)?(?:beenden|löschen|auflösen)\b",
        r"\bdeinstallier\w*",
        r"\b(?:suche|suchen)\s+(?:mir\s+|uns\s+)?(?:eine\s+)?alternative\w*",
        r"\bnicht (?:mehr )?verlängern\b",
    ],
}

_COMPILED: dict[str, list[re.Pattern[str]]] = {
    signal: [re.compile(pattern, re.IGNORECASE) for pattern in patterns]
    for signal, patterns in _PATTERNS.items()
}


@dataclass(frozen=True)
class UrgencySignal:
    """One reason for the urgency: the signal's name and the text that matched."""

    signal: str
    match: str

    def to_dict(self) -> dict[str, str]:
        return {"signal": self.signal, "match": self.match}


@dataclass(frozen=True)
class Urgency:
    """The level (``low``, ``normal`` or ``high``) and the signals that raised it, in text order."""

    level: str
    signals: tuple[UrgencySignal, ...] = ()

    @property
    def signal_names(self) -> tuple[str, ...]:
        return tuple(s.signal for s in self.signals)

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "signals": [s.to_dict() for s in self.signals]}


def find_signals(text: str) -> list[UrgencySignal]:
    """Each signal present in ``text`` once, with its earliest match, in order of appearance."""
    found: list[tuple[int, UrgencySignal]] = []
    for signal, patterns in _COMPILED.items():
        matches = [m for p in patterns if (m := p.search(text))]
        if matches:
            first = min(matches, key=lambda m: (m.start(), -len(m.group(0))))
            found.append((first.start(), UrgencySignal(signal, first.group(0).strip())))
    return [s for _, s in sorted(found, key=lambda item: item[0])]


def assess_urgency(
    text: str,
    similar_recent_count: int | None = None,
    many_reports_threshold: int = DEFAULT_MANY_REPORTS_THRESHOLD,
) -> Urgency:
    """The urgency of ``text`` by the rules in the module docstring.

    Args:
        text: the feedback.
        similar_recent_count: how many similar reports arrived recently, as the service counts
            them; None when unknown.
        many_reports_threshold: from this many similar reports on, ``many_reports`` raises the
            level one step.

    Returns:
        An ``Urgency`` with the level and the signals found.
    """
    signals = find_signals(text)
    names = {s.signal for s in signals}
    if names & set(HIGH_SIGNALS) or set(NORMAL_SIGNALS) <= names:
        level = 2
    elif names & set(NORMAL_SIGNALS):
        level = 1
    else:
        level = 0
    if similar_recent_count is not None and similar_recent_count >= many_reports_threshold:
        signals.append(UrgencySignal(MANY_REPORTS, f"{similar_recent_count} similar recent reports"))
        level = min(level + 1, 2)
    return Urgency(level=LEVELS[level], signals=tuple(signals))


@component
class UrgencyDetector:
    """Sets ``meta["urgency"]`` (low, normal, high) and ``meta["urgency_signals"]``.

    ``meta["urgency_signals"]`` is a list of ``{"signal": ..., "match": ...}``. A document's
    ``meta["similar_recent_count"]``, when the service has set it, feeds the ``many_reports`` rule.
    """

    def __init__(self, many_reports_threshold: int = DEFAULT_MANY_REPORTS_THRESHOLD) -> None:
        """
        Args:
            many_reports_threshold: from this many similar recent reports on, urgency goes up
                one step.
        """
        if many_reports_threshold < 1:
            raise ValueError("many_reports_threshold must be at least 1")
        self.many_reports_threshold = many_reports_threshold

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, Any]:
        """
        Args:
            documents: the texts, optionally with ``meta["similar_recent_count"]``.

        Returns:
            ``{"documents": documents}``, the same objects with the urgency in their meta.
        """
        for document in documents:
            urgency = assess_urgency(
                document.content or "",
                similar_recent_count=document.meta.get("similar_recent_count"),
                many_reports_threshold=self.many_reports_threshold,
            )
            document.meta["urgency"] = urgency.level
            document.meta["urgency_signals"] = [s.to_dict() for s in urgency.signals]
        return {"documents": documents}
