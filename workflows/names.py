"""Vietnamese names: NFC normalisation on input, a folded form for diacritic-blind search."""

import unicodedata


def normalise(name: str) -> str:
    """NFC-normalise and collapse whitespace."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def fold(text: str) -> str:
    """Lower-case and strip diacritics (đ → d) so 'Nguyen Van An' matches 'Nguyễn Văn An'."""
    decomposed = unicodedata.normalize("NFD", normalise(text).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
