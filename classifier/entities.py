"""Entities a customer names: phone numbers, order and complaint numbers, money,
dates and times, worker references. Regular expressions over the normalised text.

Every entity keeps its offsets; `text` is the slice of the original (un-normalised)
message and `value` a canonical form where one exists (digits of a phone, an amount).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from intake.records import Entity

COMPLAINT_NUMBER = re.compile(r"(?<![a-z0-9])ts-?\d{8}-?\d{6}(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0\d{2,3})-(\d{7,8})(?![0-9])")
_ORDER = re.compile(
    r"(?:订单号?|单号|order(?: number| no\.?| #)?|工单号?)\s*(?:是|为|:|#)?\s*([a-z]{0,4}\d[a-z0-9-]{4,})"
    r"|(?<![a-z0-9])((?:dd|jz|od|hs)\d{8,})(?![0-9])"
)
_CN_NUM = "零一二两三四五六七八九十百千万"
_MONEY = re.compile(
    rf"(?:(?:¥|￥|rmb|人民币)\s*(\d+(?:\.\d+)?))"
    rf"|(\d+(?:\.\d+)?|[{_CN_NUM}]+)\s*(?:多|来)?\s*(?:块钱|块|元|圆|rmb|yuan)"
)
_DAY = (
    r"(?:大前天|前天|昨天|昨晚|今天|今早|今晚|明天|后天|"
    r"(?:上上|上|这|本|下)?(?:个)?(?:周|星期|礼拜)[一二三四五六日天末]|(?:上|这|本|下)(?:个)?(?:周|星期|礼拜|月)|"
    r"(?:\d{4}年)?\d{1,2}月\d{1,2}[日号]?|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}号)"
)
_PART = r"(?:早上|上午|中午|下午|傍晚|晚上|夜里|半夜|凌晨|早晨)"
_CLOCK = (
    r"(?:(?:\d{1,2}|[一二两三四五六七八九十]{1,3})(?:点|:|：|时)"
    r"(?:半|一刻|\d{1,2}分?|[一二三四五]十[一二三四五六七八九]?分?)?(?:钟)?)"
)
_DATETIME = re.compile(rf"{_DAY}{_PART}?{_CLOCK}?|{_PART}{_CLOCK}?|{_CLOCK}(?![0-9a-z])")
_SURNAMES = (
    "王李张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴莫孔汤"
)
_ROLE = r"(?:阿姨|师傅|大姐|姐|嫂|保姆|老师)"
_WORKER_ROLE = (
    r"(?:保洁员|保洁师|保洁|阿姨|师傅|月嫂|育儿嫂|钟点工|小时工|保姆|家政员|工人|小哥|维修工|护工|催乳师|收纳师)"
)
_WORKER = re.compile(
    rf"[{_SURNAMES}]{_ROLE}"
    rf"|(?:那个|这个|那位|这位|你们的?|派来的|新来的|上次的?|之前的?)\s*{_WORKER_ROLE}"
    r"|工号\s*[:：]?\s*\d{2,}"
)
_WORKER_NAMED = re.compile(rf"[{_SURNAMES}]{_ROLE}")
# Cheap necessary conditions, tested before the costly patterns: every number-bearing
# entity has a digit; money a currency word; a date or time one of these characters;
# a worker reference one of the role characters (or 工号).
_HAS_DIGIT = re.compile(r"\d")
_MAY_BE_MONEY = re.compile(r"[¥￥块元圆]|rmb|yuan|人民币")
_MAY_BE_DATETIME = re.compile(r"[\d天晚早周期拜月号午夜晨点时:：]")
_MAY_BE_WORKER = re.compile(r"[姨傅姐嫂姆师洁工员哥人]")


def extract(original: str, normalized: str) -> list[Entity]:
    """All entities of a message, in order of position, without overlaps."""
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for entity in _candidates(original, normalized):
        if any(entity.start < end and start < entity.end for start, end in taken):
            continue
        taken.append((entity.start, entity.end))
        found.append(entity)
    found.sort(key=lambda e: e.start)
    return found


def _candidates(original: str, text: str) -> Iterator[Entity]:
    if _HAS_DIGIT.search(text):
        yield from _numbered(original, text)
    if _MAY_BE_MONEY.search(text):
        for m in _MONEY.finditer(text):
            amount = m.group(1) or m.group(2)
            yield Entity("money", original[m.start() : m.end()], m.start(), m.end(), _amount(amount))
    if _MAY_BE_DATETIME.search(text):
        for m in _DATETIME.finditer(text):
            if m.end() > m.start():
                yield Entity("datetime", original[m.start() : m.end()], m.start(), m.end(), None)
    if _MAY_BE_WORKER.search(text):
        for m in _WORKER.finditer(text):
            named = _WORKER_NAMED.fullmatch(m.group())
            yield Entity("worker", original[m.start() : m.end()], m.start(), m.end(), m.group() if named else None)


def _numbered(original: str, text: str) -> Iterator[Entity]:
    for m in COMPLAINT_NUMBER.finditer(text):
        digits = re.sub(r"[^0-9]", "", m.group())
        yield Entity(
            "complaint_number", original[m.start() : m.end()], m.start(), m.end(), f"TS-{digits[:8]}-{digits[8:]}"
        )
    for m in _PHONE.finditer(text):
        yield Entity("phone", original[m.start() : m.end()], m.start(), m.end(), "".join(m.groups()))
    for m in _LANDLINE.finditer(text):
        yield Entity("phone", original[m.start() : m.end()], m.start(), m.end(), "-".join(m.groups()))
    for m in _ORDER.finditer(text):
        group = 1 if m.group(1) else 2
        start, end = m.start(group), m.end(group)
        yield Entity("order", original[start:end], start, end, m.group(group).upper())


_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def _amount(raw: str) -> str | None:
    """A money amount as a decimal string: "200", "1.5", 两百 -> "200", 三千五 -> "3500"."""
    if re.fullmatch(r"\d+(?:\.\d+)?", raw):
        return raw
    total, section, digit, last_unit = 0, 0, 0, 1
    for ch in raw:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit == 10000:
                total += (section + digit) * unit
                section, digit = 0, 0
            else:
                section += (digit or 1) * unit
                digit = 0
            last_unit = unit
        else:
            return None
    if digit and last_unit >= 100:  # 三千五 means 3500, 两百五 means 250
        digit *= last_unit // 10
    return str(total + section + digit)
