"""Vietnamese first, English second: the request's language, Flask-Babel, and the messages of errors.

One message catalogue (ADR 7): English message ids in the code and templates, Vietnamese in
`webapp/translations/vi/LC_MESSAGES/messages.po`, compiled to `messages.mo` by `make install`.
The words follow docs/glossary.md.
"""

import logging
import re
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.support import Translations
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel

from workflows.vocabulary import N_, TargetGroup

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def catalogue_path(lang: str = "vi", suffix: str = "mo") -> Path:
    """Where a language's catalogue lives (`.po` is the source kept in git, `.mo` the compiled file)."""
    return TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


# Stable error codes (domain, API, forms) → English message id. `%(name)s` is filled from the error's params.
MESSAGES: dict[str, str] = {
    # errors (API and forms)
    "invalid": N_("Some answers are not valid. Check the items listed."),
    "bad_request": N_("The request is not valid."),
    "not_found": N_("Not found."),
    "forbidden": N_("You are not allowed to do this."),
    "role_not_allowed": N_("Your role may not do this."),
    "own_application": N_("You cannot review your own application."),
    "conflict": N_("The request conflicts with the current state."),
    "stale_version": N_("Someone else changed this application. Reload the page and try again."),
    "invalid_transition": N_("This action is not possible at this step."),
    "not_editable": N_("The application was submitted and cannot be changed."),
    "cccd_exists": N_("This personal identification number is already registered."),
    "username_exists": N_("This username already exists."),
    "current_password_wrong": N_("This is not your current password."),
    "password_unchanged": N_("The new password is the same as the current one: choose another."),
    "username_format": N_("A staff username has no spaces, does not start with “~” and is not twelve digits "
                          "(the form of a personal identification number)."),
    "application_exists": N_("You already have an application for this year."),
    "decision_exists": N_("This decision number is already used in %(year)s in the ward or commune."),
    "pass_rule_failed": N_("The scores do not pass: the total must be at least %(pass_total)s and no indicator may be "
                           "below %(pass_each)s."),
    "incomplete": N_("The application is not complete enough to submit."),
    "applications_not_eligible": N_("Some applications are not proposed for recognition or are not of this year."),
    "no_criteria_for_year": N_("There is no criteria set for this year."),
    "year_not_started": N_("Year %(year)s has not begun yet."),
    "signed_before_year": N_("The decision cannot be signed before its year begins (1 January %(year)s)."),
    "unauthorized": N_("Please sign in."),
    "bad_credentials": N_("Wrong username or password."),
    "otp_required": N_("This account signs in in two steps: send the 6-digit code from your authenticator app (or "
                       "a recovery code) in the field \"otp\"."),
    "otp_invalid": N_("The code is wrong or was already used. Type the 6-digit code your authenticator app shows "
                      "now, or one of your recovery codes."),
    "otp_enrolment_required": N_("Staff accounts must turn on two-step sign-in first: sign in on the website and "
                                 "follow the steps."),
    "two_factor_on": N_("Two-step sign-in is already on for this account."),
    "two_factor_not_started": N_("Open the page of two-step sign-in again to get a new key."),
    "two_factor_required": N_("Two-step sign-in is required for staff and cannot be turned off. If you lost your "
                              "phone, ask a city administrator to reset it."),
    "sign_in_expired": N_("The sign-in took too long. Enter your username and password again."),
    "rate_limited": N_("Too many attempts. Wait a minute and try again."),
    "invalid_characters": N_("The request contains characters that are not allowed."),
    "server_error": N_("Something went wrong. Try again in a few minutes."),
    "too_many_pages": N_("The PDF has more than %(max_pages)s pages: send the pages that show the activity."),
    "unavailable": N_("The service is briefly unavailable. Nothing you sent was lost: try again in a minute."),
    "bad_json": N_("The body must be one JSON object, nested at most %(depth)s levels deep."),
    "too_large": N_("The file is too large (10 MB at most)."),
    "unsupported_media": N_("Unsupported media type."),
    "not_issued_yet": N_("The certificate is still being issued; try again later."),
    "decision_document_not_ready": N_("The decision document is still being prepared; try again in a minute."),
    "certificate_revoked": N_("This certificate was revoked: it cannot be reissued."),
    "certificate_superseded": N_("This certificate was already replaced by a corrected one: reissue the newest "
                                 "certificate instead."),
    "certificate_not_issued": N_("This certificate is still being issued: it can be reissued once issued. Wait a "
                                 "few minutes and try again."),
    "certificate_failed": N_("This certificate could not be issued: try issuing it again first, then reissue it "
                             "once issued."),
    "nothing_to_correct": N_("The certificate already prints this name and date of birth: enter the corrected "
                             "name or date of birth."),
    "batch_empty": N_("No certificate of this decision is issued yet: the ZIP and the PDF for printing can be "
                      "prepared once some are."),
    "batch_preparing": N_("The ZIP and the PDF for printing of %(count)s certificates are being prepared. Try again "
                          "in a minute."),
    "batch_failed": N_("The ZIP and the PDF for printing could not be prepared. Press Try again on the decision's "
                       "page; if it still does not work, tell the administrator."),
    "method_not_allowed": N_("Method not allowed."),
    "csrf": N_("The form has expired. Please send it again."),
    # field error codes
    "required": N_("This field is required."),
    "too_long": N_("Too long: write at most %(max)s characters."),
    "more_than_total": N_("Cannot be more than the total."),
    "figure_changed": N_("Someone has just entered this figure. Reload the page to see it, then enter yours again."),
    "too_short": N_("Too short."),
    "not_text": N_("Must be text."),
    "date_format": N_("Dates must be written as year-month-day in digits, for example 1990-05-17."),
    "date_out_of_range": N_("The date is not valid."),
    "not_integer": N_("Must be a whole number."),
    "out_of_range": N_("Write a whole number from %(low)s to %(high)s."),
    "invalid_choice": N_("Not one of the allowed choices."),
    "consent_required": N_("You must consent to the processing of personal data to register."),
    "cccd_format": N_("The personal identification number must be exactly 12 digits."),
    "cccd_province": N_("The first three digits of the personal identification number are not a province code."),
    "cccd_birth_mismatch": N_("The personal identification number does not match the year of birth."),
    "cccd_sex_mismatch": N_("The personal identification number does not match the sex."),
    "password_too_short": N_("The password needs at least 10 characters."),
    "password_too_common": N_("This password is too common or too easy to guess: choose a longer phrase of your own."),
    "password_personal": N_("The password must not contain your identity number, your date of birth or your name."),
    "email_format": N_("Write the e-mail address in full, for example ten.cua.ban@gmail.com."),
    "phone_format": N_("Write a Vietnamese phone number: a mobile number of 10 digits starting with 03, 05, 07, 08 or "
                       "09 (for example 0912 345 678), or a landline with its area code (for example 024 3825 1234)."),
    "unknown_ward": N_("There is no ward or commune with this code."),
    "unknown_indicator": N_("There is no such indicator."),
    "unknown_activity": N_("This activity is not part of the application."),
    "own_account": N_("You cannot disable your own account: ask another city administrator."),
    "score_not_integer": N_("Scores are whole numbers from %(min_score)s to %(max_score)s."),
    "score_out_of_range": N_("Scores go from %(min_score)s to %(max_score)s."),
    "invalid_scores": N_("Scores must map indicator codes to numbers."),
    "below_minimum": N_("This indicator is below %(pass_each)s points."),
    "total_below_pass": N_("The total is below %(pass_total)s points."),
    "incomplete_scores": N_("Not every indicator is self-scored yet."),
    "confirm_self_scores": N_("Enter the ward's scores, or tick the box to confirm the citizen's self-scores."),
    "no_activity": N_("Log at least one learning activity."),
    "outside_year": N_("The activity must fall in the application's year."),
    "date_in_future": N_("This date is in the future."),
    "before_start": N_("The end date is before the start date."),
    "comment_required": N_("Say what the citizen must add, or why the application is not proposed."),
    "not_approved": N_("The application is not proposed for recognition."),
    "wrong_year": N_("The application is not of the decision's year."),
    "invalid_list": N_("The list is not valid."),
    "file_type": N_("Only PDF, JPG or PNG files are accepted."),
    "file_empty": N_("The file is empty."),
    "file_too_large": N_("The file is too large (10 MB at most)."),
    "file_encrypted": N_("The PDF is password-protected; send an unlocked copy."),
    "file_damaged": N_("The file is damaged or unreadable."),
    # pages (forms with day / month / year fields)
    "date_parts": N_("Enter the day, month and year as numbers, for example 17 5 1990."),
    "date_invalid": N_("This date does not exist (for example 31/02)."),
    "no_selection": N_("Select at least one application."),
    "no_match": N_("No submitted application matches the filters and passes the rule."),
    # tổ dân phố / thôn, and the queue split between reviewers
    "unknown_hamlet": N_("Choose a residential group or village of the ward's list."),
    "hamlet_code_invalid": N_("The code must be 1 to 20 letters or digits (dots, dashes and underscores allowed)."),
    "hamlet_name_invalid": N_("The name must be 2 to 100 characters."),
    "hamlet_code_repeated": N_("Another row has this code."),
    "hamlet_name_repeated": N_("Another row has this name."),
    "not_a_reviewer": N_("Choose an active reviewer of the ward or commune."),
    "assign_to_self_only": N_("You can take applications for yourself only."),
    "assignment_refused": N_("Some applications cannot be given to this reviewer; nothing was changed."),
    "held_by_another": N_("Another reviewer holds this application."),
    "outside_assignee_area": N_("This application is outside the reviewer's residential groups or villages."),
    "too_many": N_("Too many at once (%(limit)s at most)."),
    # digital skills
    "not_utf8": N_("The file must be a CSV file saved as UTF-8."),
    "bad_header": N_("The first row must name the columns: %(expected)s."),
    "wrong_column_count": N_("This row does not have the columns of the first row."),
    "external_id_required": N_(
        "Each row needs the training platform's id for it (external_id, 100 characters at most)."),
    "external_id_repeated": N_("Another row has this external_id for a different completion."),
    "too_many_rows": N_("The file has too many rows (%(limit)s at most)."),
    "self_assessment_never_counts": N_("A self-assessment is kept as the citizen's own view and is never verified."),
    "attempt_limit": N_("You have taken the test %(limit)s times in the last %(days)s days. Try again later."),
    "attempt_submitted": N_("This attempt is already submitted."),
    "attempt_expired": N_("The time for this attempt is over. Start the test again."),
    "invalid_answers": N_("Answers must map each question to the number of a choice."),
    "unknown_item": N_("This question is not part of the attempt."),
    "answer_missing": N_("Choose an answer."),
    # population figures
    "year_out_of_range": N_("The year must be written in four digits, from 2020 to 2100."),
    "unknown_mode": N_("The mode must be one of: residents_15_plus, all_residents."),
    "population_out_of_range": N_("The population must be a whole number from 0 to 2,000,000."),
    "population_repeated": N_("Another row has the same ward or commune, year and mode."),
    "no_rows": N_("The file has no rows below its first."),
    "rows_invalid": N_("%(count)s rows have mistakes, listed under the file field; nothing was imported."),
    "unknown_area": N_("There is no such area in the framework."),
    "file_required": N_("Choose the file of the certificate (PDF, JPG or PNG)."),
    "certificate_already_sent": N_("You have already sent this file; it is waiting for verification or verified."),
    "citizen_not_in_ward": N_("No citizen with this number is registered in your ward or commune."),
    "cccd_not_registered": N_("No account has this number: register the person instead."),
    "identity_check_required": N_("Check the person's CCCD card in person first, and tick the box."),
    "claim_blocked": N_("An application under review or proposed, a certificate or a digital-skill record is in force "
                        "in this account's name: the ward or commune holding it must decide it, decline it or revoke "
                        "it before the account can be given back."),
    "own_record": N_("You cannot record or verify your own digital skills."),
    "reference_used": N_("A test paper with this number is already recorded in your ward or commune."),
    "assessment_same_day": N_("An assessment of this citizen on this day is already recorded."),
    "reason_required": N_("Say why the record is not accepted: the citizen reads it."),
    "record_changed": N_(
        "This record has already been dealt with, perhaps by someone else. Reload the page to see it."),
    # campaigns (dates are filled in as dd/mm/yyyy)
    "registration_closed": N_("Applications for %(year)s can be opened only in the registration period, from "
                              "%(opens)s to %(closes)s."),
    "self_assessment_closed": N_("Activities, self-scores and submissions for %(year)s are taken only from %(opens)s "
                                 "to %(closes)s."),
    "year_closed": N_("Year %(year)s is closed: no new application and no submission is taken any more."),
    "campaign_changed": N_("Someone has just changed this campaign. Reload the page to see it, then try again."),
    "outside_campaign_year": N_("The date must fall in %(year)s."),
    "closes_before_opens": N_("The period cannot close before it opens."),
    "self_assessment_before_registration": N_("Self-assessment cannot open before registration opens."),
    "submission_closes_before_registration": N_(
        "Self-assessment and submission cannot close before registration closes."),
    "review_before_submission_closes": N_(
        "The review deadline cannot be before self-assessment and submission close."),
    "year_end_before_mid_year": N_("The year-end report must come after the mid-year report."),
    "year_end_before_review": N_("The year-end report cannot be before the review deadline."),
    "confirm_close": N_("Tick the box to confirm that the year is to be closed."),
    # assisted registration (ADR 25)
    "other_ward": N_("You can register only citizens who live in your own ward or commune."),
    "paper_consent_required": N_("Tick this box once the citizen has signed the paper consent form."),
    "activation_code_invalid": N_("This number and code do not match an account waiting for activation, or the code "
                                  "has been used or has expired. Ask your ward or commune for a new code."),
    "already_activated": N_("This citizen has already set a password. If they forgot it, check their CCCD card, "
                            "tick the box and make a code to choose a new one."),
    # password reset (issue 11)
    "passwords_differ": N_("The two passwords are not the same. Type the new password twice."),
    "reset_link_used": N_("This link has been used or has expired. Ask for a new one."),
    "date_format_csv": N_("Write the date in digits, for example 1990-05-17 or 17/05/1990."),
    "cccd_repeated": N_("Another row of the file has this personal identification number."),
    "cccd_other_ward": N_("This person is registered in another ward or commune: a change of residence is recorded "
                          "by the city, not by an import."),
    "cccd_other_details": N_("This person is already registered in your ward or commune with other details: correct "
                             "the row or leave it out."),
    # criteria sets (ADR 22)
    "criteria_not_found": N_("There is no criteria set with the code %(criteria)s."),
    "criteria_published": N_("The criteria set %(criteria)s is published and can no longer be changed. Copy it into a "
                             "new draft to correct it."),
    "criteria_code_exists": N_("A criteria set with the code %(criteria)s already exists."),
    "criteria_year_taken": N_("The criteria set %(criteria)s is already published for %(year)s: a year has one set."),
    "code_repeated": N_("This code is used twice."),
    "unknown_competence": N_("There is no criterion with this code in the set."),
    "unknown_operator": N_("There is no active city administrator with this username."),
    "not_json_file": N_("The file must be JSON saved as UTF-8."),
    # requests about personal data (ADR 41)
    "request_closed": N_("This request has already been answered."),
    "records_must_be_kept": N_("This citizen submitted an application or holds a certificate: those records of "
                               "administrative decisions must be kept, so the deletion can only be refused, with "
                               "the legal ground."),
    "json_too_deep": N_("The file nests its JSON more than %(depth)s levels deep: a criteria file needs only a few."),
}

# Said instead when the error came without the params its message needs (never a KeyError, never "%(x)s").
FALLBACKS: dict[str, str] = {
    "too_long": N_("Too long."),
    "bad_json": N_("The body must be valid JSON."),
    "json_too_deep": N_("The file nests its JSON too deeply."),
    "out_of_range": N_("The value is out of range."),
    "decision_exists": N_("This decision number is already used in the ward or commune."),
    "pass_rule_failed": N_("The scores do not meet the pass rule."),
    "year_not_started": N_("The application's year has not begun yet."),
    "signed_before_year": N_("The decision cannot be signed before its year begins."),
    "below_minimum": N_("This indicator is below the minimum score."),
    "total_below_pass": N_("The total is below the pass mark."),
    "bad_header": N_("The first row must name the columns: cccd,completed_on,external_id,course."),
    "too_many_rows": N_("The file has too many rows."),
    "rows_invalid": N_("Some rows have mistakes, listed under the file field; nothing was imported."),
    "attempt_limit": N_("You have taken the test too many times recently. Try again later."),
    "registration_closed": N_("Applications for this year can be opened only in its registration period."),
    "self_assessment_closed": N_("The period for activities, self-scores and submissions of this year is over or "
                                 "has not begun."),
    "year_closed": N_("The year is closed: no new application and no submission is taken any more."),
    "outside_campaign_year": N_("The date must fall in the campaign's year."),
    "score_not_integer": N_("Scores are whole numbers in the range of the criteria set."),
    "score_out_of_range": N_("The score is outside the range of the criteria set."),
    "criteria_not_found": N_("There is no criteria set with this code."),
    "criteria_published": N_("This criteria set is published and can no longer be changed."),
    "criteria_code_exists": N_("A criteria set with this code already exists."),
    "criteria_year_taken": N_("Another criteria set is already published for this year: a year has one set."),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)")


class MissingCatalogue(RuntimeError):
    """The compiled Vietnamese catalogue is absent: pages would silently fall back to English."""


# The request's language, chosen once when it starts: templates ask for it a hundred times a page, and a context
# variable costs a fraction of a lookup through Flask's `g` (set before each request, cleared after it).
_CHOSEN: ContextVar[str | None] = ContextVar("cdht_language", default=None)


def locale() -> str:
    """Pick the language: ?lang=, then the cookie; the API also honours Accept-Language. Vietnamese by default."""
    chosen = _CHOSEN.get()
    if chosen is not None:
        return chosen
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "locale" in g:
        return str(g.locale)
    chosen = request.args.get("lang") or request.cookies.get(current_app.config.get("LANG_COOKIE", "lang"))
    if chosen not in LANGUAGES:
        chosen = DEFAULT_LANGUAGE
        # Pages stay Vietnamese until the visitor picks English (many phones here run an English UI);
        # API clients ask explicitly with Accept-Language.
        if request.path.startswith("/api/") and request.accept_languages:
            first = request.accept_languages[0][0].lower()
            chosen = "en" if first.startswith("en") else "vi"
    g.locale = chosen
    return chosen


def require_catalogue() -> Path:
    """Fail loudly when the Vietnamese catalogue was never compiled (`make install` compiles it)."""
    compiled = catalogue_path("vi")
    if not compiled.is_file():
        raise MissingCatalogue(
            f"{compiled} is missing: run `make install` (or `.venv/bin/pybabel compile -d webapp/translations`)")
    source = catalogue_path("vi", "po")
    if source.is_file() and source.stat().st_mtime > compiled.stat().st_mtime + 1:
        log.warning("%s is older than %s: run `make install` to compile the catalogue again", compiled, source)
    return compiled


@cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of a language, outside any request too (CLI, worker). English is the message ids themselves."""
    if lang != "vi":
        return NullTranslations()
    require_catalogue()
    return Translations.load(str(TRANSLATIONS), ["vi"], DOMAIN)


def catalogue() -> NullTranslations:
    """The request's catalogue, straight from the per-process cache: what templates and filters translate with.

    Flask-Babel's own lookup walks its context, domain and locale on every call (a page makes a hundred); the
    language is read once per request (`locale`, kept on `g`) and the catalogues once per process.
    """
    return translations(locale())


def gettext(text: str, **params: object) -> str:
    """Translate a message id in the request's language, filling `%(name)s` from params when given."""
    translated = catalogue().gettext(text)
    return translated % params if params else translated


def _fill(text: str, params: Mapping[str, object]) -> str | None:
    """`text % params`, or None when a placeholder has no value."""
    if not _PLACEHOLDER.search(text):
        return text
    if any(name not in params for name in _PLACEHOLDER.findall(text)):
        return None
    return text % params


def _shown(value: object) -> object:
    """A param as a message shows it: a date as dd/mm/yyyy (docs/glossary.md), anything else as it is."""
    return value.strftime("%d/%m/%Y") if isinstance(value, date) and not isinstance(value, datetime) else value


# Codes that some checks raise with their limit and others without: the fallback wording is expected, not a slip.
UNBOUNDED = frozenset({"too_long", "out_of_range"})


def field_params(params: Mapping[str, Any], field: str) -> dict[str, Any]:
    """The params that fill one field's message: the error's own, and the limit that field broke, if it is known
    (`limits`, from workflows.inputs.parse)."""
    limits = params.get("limits")
    own = limits.get(field) if isinstance(limits, Mapping) else None
    return {**params, **own} if isinstance(own, Mapping) else dict(params)


def message(code: str, lang: str | None = None, **params: object) -> str:
    """Translate an error code into the request's (or the given) language, filling `%(name)s` from params.

    An unknown code says the generic "invalid" message; a message whose params are missing says its
    fallback wording (or, without one, the generic message) rather than fail. Dates are written dd/mm/yyyy.
    """
    params = {name: _shown(value) for name, value in params.items()}
    catalogue = translations(lang if lang in LANGUAGES else locale())
    msgid = MESSAGES.get(code, MESSAGES["invalid"])
    filled = _fill(catalogue.gettext(msgid), params)
    if filled is None:
        if code not in UNBOUNDED:
            log.warning("message %r is missing params %s", code,
                        sorted(set(_PLACEHOLDER.findall(msgid)) - set(params)))
        filled = _fill(catalogue.gettext(FALLBACKS.get(code, MESSAGES["invalid"])), params) or ""
    return filled


@cache
def target_group_names() -> dict[str, str]:
    """The names a ward's file of citizens may give a target group by: its code, its Vietnamese and its English
    label (folded: case and diacritics do not matter), for workflows.assisted.parse."""
    from workflows.assisted import target_group_names as names_of

    return names_of({g.value: (g.label, translations("vi").gettext(g.label)) for g in TargetGroup})


def init_app(app: Flask) -> None:
    """Flask-Babel with our locale rules; refuses to start without the compiled Vietnamese catalogue."""
    require_catalogue()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=locale)

    @app.before_request
    def _choose_language() -> None:
        _CHOSEN.set(None)
        _CHOSEN.set(locale())

    @app.teardown_request
    def _forget_language(_exc: BaseException | None) -> None:
        _CHOSEN.set(None)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n
        gettext=lambda s: catalogue().gettext(s),
        ngettext=lambda s, p, n: catalogue().ngettext(s, p, n),
        pgettext=lambda c, s: catalogue().pgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().npgettext(c, s, p, n),
        newstyle=True,
    )
