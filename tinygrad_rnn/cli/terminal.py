"""Any terminal: when stdout or stderr cannot encode the lecture's symbols (λ, σ, ‖·‖, ∂ ...), the
command spells them in ASCII instead of crashing.

Windows' Python writes redirected output in cp1252, which has no λ or ‖. ``use_ascii_fallback``
gives such a stream an error handler that replaces each character it cannot encode with an
ASCII spelling (λ -> lambda, ‖ -> ||, ∂ -> d, ≤ -> <=, ...; anything else -> ?). Characters the
encoding has are written as they are. Files the commands write (summary.md, SVGs) are UTF-8
whatever the terminal, and a stream that can encode everything is left alone.
"""
import codecs

SPELLINGS = {
    "λ": "lambda", "σ": "sigma", "ρ": "rho", "φ": "phi", "δ": "delta", "Π": "Prod", "Σ": "Sum", "γ": "gamma",
    "‖": "||", "∂": "d", "≈": "~", "≤": "<=", "≥": ">=", "≠": "!=", "×": "x", "−": "-", "→": "->", "←": "<-",
    "⊙": "*", "·": ".", "√": "sqrt", "…": "...", "—": "--", "–": "-", "⌈": "ceil(", "⌉": ")", "±": "+/-",
    "°": " deg", "²": "^2", "³": "^3", "¹": "^1", "ᵀ": "^T", "⁻": "^-", "∞": "inf", "∈": " in ", "✓": "ok",
    **{chr(0x2080 + d): str(d) for d in range(10)},          # subscript digits ₀..₉
}
HANDLER = "tinygrad_rnn_ascii"
PROBE = "λσρ‖∂≈≤×−→⊙₀"


def _spell(err: UnicodeEncodeError):
    text = err.object[err.start:err.end]
    return "".join(SPELLINGS.get(ch, "?") for ch in text), err.end


codecs.register_error(HANDLER, _spell)


def can_encode(stream, text: str = PROBE) -> bool:
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return True                          # an in-memory stream (io.StringIO) takes any text
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def use_ascii_fallback(stream) -> bool:
    """Give ``stream`` the ASCII-spelling error handler if it cannot encode the lecture's symbols;
    True if it did. Streams without ``reconfigure`` (not a text file) are left alone."""
    if can_encode(stream) or not hasattr(stream, "reconfigure"):
        return False
    try:
        stream.reconfigure(errors=HANDLER)
    except (ValueError, OSError):            # a closed or detached stream
        return False
    return True
