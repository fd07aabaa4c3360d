"""Catalogue entries of the command-line tools (zh default, en): `tousu classify`,
`tousu classifier …`, `tousu ledger export` and `tousu customers import`.

Registered in the one catalogue (`intake.messages`) on import, like the console's
`reports_text` and `tuning_text`; the commands print them in `TOUSU_LOCALE`.
"""

from __future__ import annotations

from intake.messages import register

ZH: dict[str, str] = {
    "cli.error": "错误：{detail}",
    "cli.cannot_open": "无法打开 {path}：{error}",
    "cli.cannot_read": "无法读取 {path}：{error}",
    "cli.cannot_write": "无法写入 {path}：{error}",
    "cli.bad_day": "{option}：不是日期（应为 YYYY-MM-DD）",
    "cli.classifier.progress": "训练中 [{bar}] 第 {epoch}/{epochs} 轮 损失 {loss}",
    "cli.classifier.cannot_write_model": "无法把模型写入 {path}：{error}",
    "cli.classifier.trained": "已用 {examples} 条样本训练（跳过 {skipped} 行），用时 {seconds} 秒",
    "cli.classifier.labels": "标签：{labels}",
    "cli.classifier.unnamed": (
        "注意：这些标签不是 tousu 的类别，服务使用此模型时把它们计为“其他”（other）：{labels}；"
        "可用 --map 标签=类别代码 指定其含义（类别代码：{codes}）"
    ),
    "cli.classifier.bad_map": "--map {pair}：应写成 标签=类别代码",
    "cli.classifier.epochs": (
        "训练轮数：{epochs}，由 {dev} 条留出样本选定（验证集宏平均 F1 {f1}），随后用全部样本训练"
    ),
    "cli.classifier.written": "模型已写入 {path}；设置 {env}={path} 即可使用",
    "cli.classifier.needs_text": "第 {line} 行：需要字符串字段 'text'",
    "cli.classifier.no_store": "这里没有配置更正记录的来源；请用 --from FILE（JSON lines）指定",
    "cli.classifier.bad_correction": "更正记录 {number}：未知的类别 {category} 或严重程度 {severity}",
    "cli.classifier.rows_written": "已写出 {count} 行训练数据",
    "cli.ledger.exported": "已导出 {count} 行 → {path}",
    "cli.ledger.needs_sql": "导出台账需要 SQL 数据库",
    "cli.no_token": "没有名为 {name} 的令牌",
}

EN: dict[str, str] = {
    "cli.error": "error: {detail}",
    "cli.cannot_open": "cannot open {path}: {error}",
    "cli.cannot_read": "cannot read {path}: {error}",
    "cli.cannot_write": "cannot write {path}: {error}",
    "cli.bad_day": "{option}: not a date (YYYY-MM-DD)",
    "cli.classifier.progress": "training [{bar}] epoch {epoch}/{epochs} loss {loss}",
    "cli.classifier.cannot_write_model": "cannot write the model to {path}: {error}",
    "cli.classifier.trained": "trained on {examples} examples ({skipped} rows skipped) in {seconds} s",
    "cli.classifier.labels": "labels: {labels}",
    "cli.classifier.unnamed": (
        "note: these labels are not tousu categories; the service counts them as other when it uses "
        "this model: {labels}; say what they mean with --map LABEL=CODE (category codes: {codes})"
    ),
    "cli.classifier.bad_map": "--map {pair}: expected LABEL=CODE",
    "cli.classifier.epochs": (
        "epochs: {epochs}, chosen on {dev} held-out rows (dev macro-F1 {f1}), then trained on all rows"
    ),
    "cli.classifier.written": "model written to {path}; use it with {env}={path}",
    "cli.classifier.needs_text": "line {line}: needs a string field 'text'",
    "cli.classifier.no_store": "no corrections store is configured here; pass --from FILE (JSON lines)",
    "cli.classifier.bad_correction": "correction {number}: unknown category {category} or severity {severity}",
    "cli.classifier.rows_written": "{count} training rows written",
    "cli.ledger.exported": "{count} rows exported → {path}",
    "cli.ledger.needs_sql": "the ledger export needs the SQL store",
    "cli.no_token": "no token named {name}",
}


def register_catalogue() -> None:
    """Add these entries to `intake.messages` (idempotent)."""
    register("zh", ZH)
    register("en", EN)


register_catalogue()
