import pytest

from gradeloop.data.privacy import find_identifiers, iban_ok, identifier_kinds, luhn_ok


@pytest.mark.parametrize("text, kind, value", [
    ("write to jane.doe+test@example.co.uk today", "email", "jane.doe+test@example.co.uk"),
    ("call +44 20 7946 0958 now", "phone", "+44 20 7946 0958"),
    ("call (415) 555-2671 after six", "phone", "(415) 555-2671"),
    ("card 4111 1111 1111 1111 expires soon", "card", "4111 1111 1111 1111"),
    ("card 5500-0000-0000-0004 please", "card", "5500-0000-0000-0004"),
    ("iban GB82 WEST 1234 5698 7654 32 for transfers", "iban", "GB82 WEST 1234 5698 7654 32"),
    ("send it to DE89370400440532013000 now", "iban", "DE89370400440532013000"),
    ("my account number: 12345678 is frozen", "account", "12345678"),
    ("acct# 9876-5432-10", "account", "9876-5432-10"),
    ("the server 192.168.1.20 is down", "ip", "192.168.1.20"),
    ("ping 2001:db8::8a2e:370:7334 twice", "ip", "2001:db8::8a2e:370:7334"),
])
def test_each_identifier_kind_is_found(text, kind, value):
    found = find_identifiers(text)
    assert [(i.kind, text[i.start:i.end]) for i in found] == [(kind, value)]


@pytest.mark.parametrize("text", [
    "Step 1: open Settings", "What is 12+7?", "order 12345 on 2024-01-15 at 12:30:45",
    "card 4111 1111 1111 1112 fails the Luhn check", "iban GB00 WEST 1234 5698 7654 32 has a bad checksum",
    "version 3.11.7", "ip 999.1.1.1 is not an address", "price 1,234,567.89", "ISBN 978-3-16-148410-0",
    "call 555-2671", "std::vector<int> and a::b",
])
def test_ordinary_numbers_are_not_identifiers(text):
    assert identifier_kinds(text) == set()


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB83WEST12345698765432")
