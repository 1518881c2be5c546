"""A deterministic dictionary translator over the pinned language list.

No model, no network: a small phrase table pivoting through English. Whole phrases are looked
up first, then word by word; words the table does not know are kept as they are and listed in
``untranslated_words`` so callers can see exactly what was not translated.
"""

from __future__ import annotations

import re
from typing import Any

from flatfile_chat.errors import ValidationError

# English phrase -> {language: translation}. Lower case, no punctuation.
PHRASES: dict[str, dict[str, str]] = {
    "hello": {
        "es": "hola",
        "fr": "bonjour",
        "de": "hallo",
        "it": "ciao",
        "pt": "olá",
        "zh": "你好",
        "ja": "こんにちは",
        "ru": "привет",
        "ko": "안녕하세요",
    },
    "goodbye": {
        "es": "adiós",
        "fr": "au revoir",
        "de": "auf wiedersehen",
        "it": "arrivederci",
        "pt": "adeus",
        "zh": "再见",
        "ja": "さようなら",
        "ru": "до свидания",
        "ko": "안녕히 가세요",
    },
    "thank you": {
        "es": "gracias",
        "fr": "merci",
        "de": "danke",
        "it": "grazie",
        "pt": "obrigado",
        "zh": "谢谢",
        "ja": "ありがとう",
        "ru": "спасибо",
        "ko": "감사합니다",
    },
    "please": {
        "es": "por favor",
        "fr": "s'il vous plaît",
        "de": "bitte",
        "it": "per favore",
        "pt": "por favor",
        "zh": "请",
        "ja": "お願いします",
        "ru": "пожалуйста",
        "ko": "부탁합니다",
    },
    "yes": {
        "es": "sí",
        "fr": "oui",
        "de": "ja",
        "it": "sì",
        "pt": "sim",
        "zh": "是",
        "ja": "はい",
        "ru": "да",
        "ko": "네",
    },
    "no": {
        "es": "no",
        "fr": "non",
        "de": "nein",
        "it": "no",
        "pt": "não",
        "zh": "不",
        "ja": "いいえ",
        "ru": "нет",
        "ko": "아니요",
    },
    "good morning": {
        "es": "buenos días",
        "fr": "bonjour",
        "de": "guten morgen",
        "it": "buongiorno",
        "pt": "bom dia",
        "zh": "早上好",
        "ja": "おはようございます",
        "ru": "доброе утро",
        "ko": "좋은 아침",
    },
    "good night": {
        "es": "buenas noches",
        "fr": "bonne nuit",
        "de": "gute nacht",
        "it": "buona notte",
        "pt": "boa noite",
        "zh": "晚安",
        "ja": "おやすみなさい",
        "ru": "спокойной ночи",
        "ko": "안녕히 주무세요",
    },
    "how are you": {
        "es": "cómo estás",
        "fr": "comment allez-vous",
        "de": "wie geht es dir",
        "it": "come stai",
        "pt": "como você está",
        "zh": "你好吗",
        "ja": "お元気ですか",
        "ru": "как дела",
        "ko": "어떻게 지내세요",
    },
    "water": {
        "es": "agua",
        "fr": "eau",
        "de": "wasser",
        "it": "acqua",
        "pt": "água",
        "zh": "水",
        "ja": "水",
        "ru": "вода",
        "ko": "물",
    },
    "cat": {
        "es": "gato",
        "fr": "chat",
        "de": "katze",
        "it": "gatto",
        "pt": "gato",
        "zh": "猫",
        "ja": "猫",
        "ru": "кошка",
        "ko": "고양이",
    },
    "dog": {
        "es": "perro",
        "fr": "chien",
        "de": "hund",
        "it": "cane",
        "pt": "cão",
        "zh": "狗",
        "ja": "犬",
        "ru": "собака",
        "ko": "개",
    },
    "house": {
        "es": "casa",
        "fr": "maison",
        "de": "haus",
        "it": "casa",
        "pt": "casa",
        "zh": "房子",
        "ja": "家",
        "ru": "дом",
        "ko": "집",
    },
    "book": {
        "es": "libro",
        "fr": "livre",
        "de": "buch",
        "it": "libro",
        "pt": "livro",
        "zh": "书",
        "ja": "本",
        "ru": "книга",
        "ko": "책",
    },
    "friend": {
        "es": "amigo",
        "fr": "ami",
        "de": "freund",
        "it": "amico",
        "pt": "amigo",
        "zh": "朋友",
        "ja": "友達",
        "ru": "друг",
        "ko": "친구",
    },
    "the": {
        "es": "el",
        "fr": "le",
        "de": "der",
        "it": "il",
        "pt": "o",
        "zh": "",
        "ja": "",
        "ru": "",
        "ko": "",
    },
    "and": {
        "es": "y",
        "fr": "et",
        "de": "und",
        "it": "e",
        "pt": "e",
        "zh": "和",
        "ja": "と",
        "ru": "и",
        "ko": "그리고",
    },
    "i": {
        "es": "yo",
        "fr": "je",
        "de": "ich",
        "it": "io",
        "pt": "eu",
        "zh": "我",
        "ja": "私",
        "ru": "я",
        "ko": "나",
    },
    "you": {
        "es": "tú",
        "fr": "tu",
        "de": "du",
        "it": "tu",
        "pt": "você",
        "zh": "你",
        "ja": "あなた",
        "ru": "ты",
        "ko": "너",
    },
    "love": {
        "es": "amor",
        "fr": "amour",
        "de": "liebe",
        "it": "amore",
        "pt": "amor",
        "zh": "爱",
        "ja": "愛",
        "ru": "любовь",
        "ko": "사랑",
    },
}
_NO_SPACES = frozenset({"zh", "ja"})
_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def check_languages(source: str, target: str, supported: list[str]) -> None:
    for key, code in (("source_language", source), ("target_language", target)):
        if code not in supported:
            raise ValidationError(
                f"Unsupported {key.split('_')[0]} language {code!r} "
                f"(supported: {', '.join(supported)})",
                key=key,
                value=code,
            )


def translate(text: str, source: str, target: str, supported: list[str]) -> dict[str, Any]:
    check_languages(source, target, supported)
    if source == target:
        return _result(text, text, source, target, [])
    english, missing = _to_english(text, source)
    translated, missing_out = _from_english(english, target)
    untranslated = sorted(set(missing) | set(missing_out))
    return _result(text, translated, source, target, untranslated)


def _result(
    text: str, translated: str, source: str, target: str, untranslated: list[str]
) -> dict[str, Any]:
    return {
        "source_text": text,
        "translated_text": translated,
        "source_language": source,
        "target_language": target,
        "untranslated_words": untranslated,
    }


def _normalise(text: str) -> str:
    return " ".join(_WORD_RE.findall(text.lower()))


def _to_english(text: str, source: str) -> tuple[str, list[str]]:
    if source == "en":
        return _normalise(text), []
    reverse = {
        t: en for en, row in PHRASES.items() for lang, t in row.items() if lang == source and t
    }
    whole = text.strip().lower().rstrip("!?.")
    if whole in reverse:
        return reverse[whole], []
    words, missing = [], []
    for word in _WORD_RE.findall(text.lower()):
        if word in reverse:
            words.append(reverse[word])
        else:
            words.append(word)
            missing.append(word)
    return " ".join(words), missing


def _from_english(english: str, target: str) -> tuple[str, list[str]]:
    if target == "en":
        return english, []
    if english in PHRASES:
        return PHRASES[english][target], []
    out, missing, words, i = [], [], english.split(), 0
    while i < len(words):
        two = " ".join(words[i : i + 3]), " ".join(words[i : i + 2])
        match = next((p for p in two if p in PHRASES and " " in p), None)
        if match is not None:
            out.append(PHRASES[match][target])
            i += len(match.split())
            continue
        word = words[i]
        if word in PHRASES:
            if PHRASES[word][target]:
                out.append(PHRASES[word][target])
        else:
            out.append(word)
            missing.append(word)
        i += 1
    joiner = "" if target in _NO_SPACES else " "
    return joiner.join(out), missing
