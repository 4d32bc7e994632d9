"""Vietnamese names: NFC normalisation on input, a folded form for diacritic-blind search."""

import unicodedata


def normalise(name: str) -> str:
    """NFC-normalise and collapse whitespace."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


def sort_key(folded: str) -> str:
    """The order of Vietnamese name lists, on a folded name: the given name (the last word), then the family name,
    then the middle names ("nguyen van an" → "an nguyen van")."""
    words = folded.split()
    return " ".join([words[-1], *words[:-1]]) if len(words) > 1 else folded


def fold(text: str) -> str:
    """Lower-case and strip diacritics (đ → d) so 'Nguyen Van An' matches 'Nguyễn Văn An'."""
    decomposed = unicodedata.normalize("NFD", normalise(text).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
