"""The messages job's settings: the [sms] block (signature, opt-out lines, sender) read into MessageSettings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import SettingsError
from ..i18n import tr
from ..settings import Allowed, Block, Settings, register, settings_sheet_spec
from .templates import TemplateSource

__all__ = [
    "DEMO_COMPANY",
    "SMS_BLOCK",
    "MessageSettings",
    "demo_identity",
    "parse_message_settings",
]

DEMO_COMPANY = "示例科技"  # the demo's company: real customers must never read it
_DEMO_MARKS = (DEMO_COMPANY, "example.com")

SMS_BLOCK = register(
    Block(
        key="sms",
        title_zh="短信与邮件",
        title_en="SMS and email",
        columns=(("key", "设置 Setting"), ("value", "值 Value"), ("note", "说明 Note")),
        defaults=(
            (
                "signature",
                "【示例科技】",
                "短信签名，必填（国内短信必须带签名）/ SMS signature, required in China",
            ),
            ("opt_out", "回T退订", "营销短信结尾的退订语 / opt-out line for marketing texts"),
            ("opt_out_en", "Reply STOP to opt out", "英文短信的退订语 / opt-out line in English"),
            (
                "sender",
                "示例科技 <sales@example.com>",
                "邮件发件人 / email sender (name <address>)",
            ),
            (
                "marketing",
                "是",
                "模板未注明时是否按营销短信处理 / texts are marketing unless a template says",
            ),
        ),
        help="短信签名、退订语和发件人 · SMS signature, opt-out line and email sender",
        order=40,
        keyed=True,
        allowed=(("marketing", Allowed("bool")),),
    )
)


@dataclass(frozen=True)
class MessageSettings:
    """What the messages job reads from the workbook: SMS rules, sender, the sheet's templates."""

    signature: str = "【示例科技】"
    opt_out: str = "回T退订"
    opt_out_en: str = "Reply STOP to opt out"
    sender: str = "示例科技 <sales@example.com>"
    marketing: bool = True
    templates: tuple[TemplateSource, ...] = ()

    @property
    def company(self) -> str:
        """The company name, taken from the signature without its brackets."""
        return self.signature.strip().strip("【】[]").strip()


def parse_message_settings(
    settings: Settings, sheet_templates: Sequence[TemplateSource] | None = None
) -> MessageSettings:
    """The [sms] block with the sheet's templates."""
    data = settings.block("sms")
    values = data.mapping()
    defaults = {str(row[0]): row[1] for row in SMS_BLOCK.defaults}

    def get(key: str) -> str:
        value = values.get(key, (0, None))[1]
        return str(defaults[key] if value in (None, "") else value).strip()

    signature = get("signature")
    if not (signature.startswith("【") and signature.endswith("】") and len(signature) > 2):
        row = values.get("signature", (0, None))[0]
        raise data.error(
            row or 0,
            "value",
            tr(
                f"短信签名「{signature}」须写成【公司简称】的形式",
                f"the SMS signature '{signature}' must look like 【Company】",
            ),
        )
    marketing = data.read("marketing")
    return MessageSettings(
        signature=signature,
        opt_out=get("opt_out"),
        opt_out_en=get("opt_out_en"),
        sender=get("sender"),
        marketing=bool(marketing),
        templates=tuple(sheet_templates or ()),
    )


def demo_identity(settings: Settings) -> SettingsError | None:
    """While the SMS signature or e-mail sender is still the demo's, the error naming the cell."""
    data = settings.block("sms")
    values = data.mapping()
    defaults = {str(row[0]): row[1] for row in SMS_BLOCK.defaults}
    for key in ("signature", "sender"):
        row, value = values.get(key, (0, None))
        row = row or _default_row(key)  # the sheet is written with the defaults this run
        text = str(defaults[key] if value in (None, "") else value)
        if any(mark in text for mark in _DEMO_MARKS):
            what = tr("短信签名", "SMS signature") if key == "signature" else tr("发件人", "sender")
            return data.error(
                row,
                "value",
                tr(
                    f"{what}仍是示例公司的「{text}」：客户会收到示例科技的名字，请改成贵公司的",
                    f"the {what} is still the demo's '{text}': customers would read "
                    "the demo company's name; set your own",
                ),
            )
    return None


def _default_row(key: str) -> int:
    """The Excel row of a [sms] key in the settings sheet as written with its defaults."""
    rows = settings_sheet_spec().rows
    start = next(n for n, row in enumerate(rows) if row and SMS_BLOCK.title_zh in str(row[0]))
    return next(n + 1 for n, row in enumerate(rows) if n > start and row and row[0] == key)
