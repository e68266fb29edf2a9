"""The knowledge base: a suggestion for every code, the generic one for unknown codes."""

from services.monitor.knowledge import GENERIC, KNOWLEDGE_BASE, suggestion_for


def test_known_codes_get_their_own_fix() -> None:
    assert "another card" in suggestion_for("PAYMENT_DECLINED").fix
    assert "connection" in suggestion_for("E_TIMEOUT").fix


def test_unknown_codes_get_the_generic_suggestion() -> None:
    assert suggestion_for("E_SOMETHING_NEW") is GENERIC
    assert suggestion_for("payment_declined") is GENERIC  # codes are upper case by contract


def test_every_entry_says_what_happened_and_what_to_try() -> None:
    for code, suggestion in KNOWLEDGE_BASE.items():
        assert code == code.upper()
        assert suggestion.summary.endswith(".")
        assert suggestion.fix.endswith(".")
