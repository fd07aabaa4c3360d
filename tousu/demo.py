"""`tousu demo`: a few dozen varied sample complaints sent through the real pipeline.

Each sample is a short conversation of one customer on one channel, so a new user sees
complaints of every category and severity, follow-up messages, progress questions,
greetings that open nothing, and a customer who comes back by phone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from intake.records import ChannelName, ConversationRef, Identity, InboundMessage, MessageKind
from tousu.bootstrap import Runtime

Conversation = tuple[ChannelName, str, str | None, str | None, tuple[str, ...]]

SAMPLES: tuple[Conversation, ...] = (
    (
        ChannelName.WEBCHAT,
        "demo-web-01",
        "李女士",
        "13800138001",
        (
            "阿姨约的早上九点，十点半才到，也没提前打招呼，耽误我上班。",
            "而且走的时候比约定早了半小时。",
        ),
    ),
    (ChannelName.WEBCHAT, "demo-web-02", None, None, ("你好",)),
    (
        ChannelName.API,
        "demo-api-03",
        "王先生",
        "13800138002",
        ("保洁员打扫完我发现客厅的花瓶碎了，问她她说不知道，这个必须赔偿！",),
    ),
    (
        ChannelName.API,
        "demo-api-04",
        "陈女士",
        "13800138003",
        ("月嫂抱孩子的时候差点摔了，孩子头上磕了个包，我现在非常害怕，要求马上处理！",),
    ),
    (
        ChannelName.TELEGRAM,
        "demo-tg-05",
        "Zhao",
        "13800138004",
        ("钟点工服务态度太差了，我说厨房没擦干净，她直接甩脸色还顶嘴。",),
    ),
    (
        ChannelName.WECHAT,
        "demo-wx-06",
        "刘女士",
        "13800138005",
        ("已经付了开荒保洁的钱，结果多扣了我200元，客服一直说在核实，再不退款我就打12315。",),
    ),
    (
        ChannelName.WECHAT,
        "demo-wx-07",
        "孙先生",
        "13800138006",
        ("师傅来了说没带吸尘器和清洁剂，让我自己准备工具，这算什么专业服务？",),
    ),
    (
        ChannelName.WEBCHAT,
        "demo-web-08",
        "周女士",
        "13800138007",
        ("APP上预约了周六上午的保洁，到了时间没人来，打电话才说没派单。",),
    ),
    (
        ChannelName.API,
        "demo-api-09",
        "吴女士",
        "13800138008",
        ("这个育儿嫂已经换了两次了还是不行，请给我更换一个有经验的阿姨。",),
    ),
    (
        ChannelName.WECOM,
        "demo-wecom-10",
        "郑先生",
        "13800138009",
        ("家里老人一个人在家，约好的护工没来，老人一天没吃上饭，你们怎么回事！",),
    ),
    (
        ChannelName.TELEGRAM,
        "demo-tg-11",
        "Ms. Wang",
        "13800138010",
        ("The cleaner broke my glass table and refuses to admit it. I want compensation.",),
    ),
    (
        ChannelName.WEBCHAT,
        "demo-web-12",
        "冯女士",
        "13800138011",
        (
            "擦窗户擦得很马虎，玻璃上全是水印，油烟机也没清理。",
            "查询进度",
        ),
    ),
    (
        ChannelName.API,
        "demo-api-13",
        "蒋先生",
        "13800138012",
        ("我怀疑阿姨拿了我放在抽屉里的现金，少了一千块，我准备报警。",),
    ),
    (
        ChannelName.WECHAT,
        "demo-wx-14",
        "沈女士",
        "13800138013",
        ("保洁员在我家里拍照发到她的朋友圈，泄露了我家的住址和隐私！",),
    ),
    (ChannelName.WEBCHAT, "demo-web-15", "韩先生", "13800138014", ("谢谢你们上次的阿姨，做得很好！",)),
    (
        ChannelName.API,
        "demo-api-16",
        "杨女士",
        "13800138015",
        ("说好的套餐价格，上门后又说要加钱，不加就不做，这是乱收费。",),
    ),
    (ChannelName.TELEGRAM, "demo-tg-17", "朱先生", "13800138016", ("工作人员上门迟到了二十分钟。",)),
    (
        ChannelName.WECHAT,
        "demo-wx-18",
        "秦女士",
        "13800138017",
        ("阿姨在我家用电的时候把插座弄冒烟了，差点着火，太危险了！",),
    ),
    (
        ChannelName.WEBCHAT,
        "demo-web-19",
        "许女士",
        "13800138018",
        ("第三次投诉了，每次来的阿姨都不一样，做得也不好，再这样我就退会员，要求你们经理给我回电话。",),
    ),
    (ChannelName.API, "demo-api-20", "何先生", "13800138019", ("退款申请提交一周了还没到账，客服电话也打不通。",)),
)


async def run_demo(runtime: Runtime) -> tuple[int, int]:
    """Send every sample through `runtime`'s pipeline; returns (messages, complaints)."""
    messages = 0
    complaints: set[str] = set()
    for channel, user_id, name, phone, texts in SAMPLES:
        for index, content in enumerate(texts):
            result = await runtime.intake.receive(_message(channel, user_id, name, phone, content, index))
            messages += 1
            if result.complaint is not None:
                complaints.add(result.complaint.number)
    return messages, len(complaints)


def _message(
    channel: ChannelName, user_id: str, name: str | None, phone: str | None, content: str, index: int
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        external_id=f"demo:{user_id}:{index}",
        sender=Identity(channel, user_id, display_name=name),
        conversation=ConversationRef(channel, user_id),
        kind=MessageKind.TEXT,
        text=content,
        received_at=datetime.now(UTC),
        phone=phone,
        name=name,
    )
