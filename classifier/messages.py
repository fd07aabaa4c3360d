"""The classifier's entries in the one catalogue (`intake.messages`): zh default, en.

The problems of a labelled file, of a JSON lines stream and of an operator's lexicon,
and the words of the evaluation report. The classifier raises `intake.errors` with a
`Message` of these keys; the shell shows it in the reader's locale. Importing this
module registers the entries (no NLP import: cheap to load).
"""

from __future__ import annotations

from intake.messages import register

ZH: dict[str, str] = {
    "classifier.role.text": "文本",
    "classifier.role.label": "标签",
    "classifier.role.severity": "严重程度",
    "classifier.ledger.no_rows": "{path}：文件中没有数据行",
    "classifier.ledger.no_labelled_rows": (
        "{path}：没有任何一行同时有文本（列 {text_column}）和标签（列 {label_column}）"
    ),
    "classifier.ledger.one_label": "{path}：列 {column} 只有一种标签（{label}）；训练至少需要 {minimum} 种不同的标签",
    "classifier.ledger.no_column": "{path}：没有列 {column}；文件中的列是 {columns}",
    "classifier.ledger.which_column": (
        "{path}：无法判断哪一列是{role}；文件中的列是 {columns}（请用 --{option}-column 指定）"
    ),
    "classifier.ledger.bad_type": "{path}：不支持的文件类型 {suffix}；请使用 {suffixes} 之一",
    "classifier.ledger.no_suffix": "（无扩展名）",
    "classifier.ledger.no_file": "{path}：文件不存在",
    "classifier.ledger.empty": "{path}：文件是空的",
    "classifier.ledger.encoding": "{path}：文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本（请另存为 UTF-8）",
    "classifier.ledger.bad_delimited": "{path}：不是有效的 {kind} 文件：{error}",
    "classifier.ledger.bad_json": "{path} 第 {line} 行：不是 JSON 对象：{error}",
    "classifier.ledger.not_object": "{path} 第 {line} 行：每行应是一个 JSON 对象",
    "classifier.ledger.bad_xlsx": "{path}：无法读取的 Excel .xlsx 文件：{error}",
    "classifier.ledger.no_sheet": "{path}：工作簿中没有工作表",
    "classifier.ledger.empty_sheet": "{path}：工作表是空的",
    "classifier.jsonl.not_json": "第 {line} 行：不是 JSON：{error}",
    "classifier.jsonl.not_object": "第 {line} 行：应是一个 JSON 对象",
    "classifier.model.missing": "分类模型目录 {path} 不存在",
    "classifier.labels.not_in_file": "--map 中的标签在文件里没有出现：{labels}",
    "classifier.labels.bad_code": "--map 中的类别代码无效：{codes}；可用的代码：{allowed}",
    "classifier.eval.examples": "样本数",
    "classifier.eval.accuracy": "准确率",
    "classifier.eval.macro_f1": "宏平均 F1",
    "classifier.eval.label": "标签",
    "classifier.eval.precision": "精确率",
    "classifier.eval.recall": "召回率",
    "classifier.eval.f1": "F1",
    "classifier.eval.support": "样本数",
    "classifier.eval.confusion": "混淆矩阵（行：真实标签，列：预测标签）",
    "classifier.eval.unknown_labels": "模型不认识的标签：{labels}",
    "classifier.lexicon.cannot_read": "无法读取词库 {source}：{error}",
    "classifier.lexicon.bad_toml": "词库 {source} 不是有效的 TOML：{error}",
    "classifier.lexicon.invalid": "词库 {source}：{error}",
    "classifier.lexicon.problems": "词库 {source} 有 {count} 个问题：\n  {lines}",
    "classifier.lexicon.no_categories": "缺少 [categories.*] 部分（至少要有一个类别）",
    "classifier.lexicon.unknown_category": "{where}：未知类别 {value}；可用的类别：{allowed}",
    "classifier.lexicon.unknown_severity": "{where}：未知严重程度 {value}；可用的严重程度：{allowed}",
    "classifier.lexicon.unknown_intent": "{where}：未知意图 {value}；可用的意图：{allowed}",
    "classifier.lexicon.bad_number": "{where}：{value} 不是数字",
    "classifier.lexicon.not_table": "{where}：应是一个表（table）",
}

EN: dict[str, str] = {
    "classifier.role.text": "text",
    "classifier.role.label": "label",
    "classifier.role.severity": "severity",
    "classifier.ledger.no_rows": "{path}: the file has no data rows",
    "classifier.ledger.no_labelled_rows": "{path}: no row has both a text ({text_column}) and a label ({label_column})",
    "classifier.ledger.one_label": (
        "{path}: column {column} has only one label ({label}); training needs at least {minimum} different labels"
    ),
    "classifier.ledger.no_column": "{path}: no column {column}; the columns are {columns}",
    "classifier.ledger.which_column": (
        "{path}: cannot tell which column holds the {role}; the columns are {columns} (name it with --{option}-column)"
    ),
    "classifier.ledger.bad_type": "{path}: unsupported file type {suffix}; use one of {suffixes}",
    "classifier.ledger.no_suffix": "(none)",
    "classifier.ledger.no_file": "{path}: no such file",
    "classifier.ledger.empty": "{path}: the file is empty",
    "classifier.ledger.encoding": "{path}: the file is neither UTF-8 nor GBK/GB18030 text (save it as UTF-8)",
    "classifier.ledger.bad_delimited": "{path}: not a valid {kind} file: {error}",
    "classifier.ledger.bad_json": "{path}:{line}: not a JSON object: {error}",
    "classifier.ledger.not_object": "{path}:{line}: expected a JSON object per line",
    "classifier.ledger.bad_xlsx": "{path}: not a readable Excel .xlsx file: {error}",
    "classifier.ledger.no_sheet": "{path}: the workbook has no sheet",
    "classifier.ledger.empty_sheet": "{path}: the sheet is empty",
    "classifier.jsonl.not_json": "line {line}: not JSON: {error}",
    "classifier.jsonl.not_object": "line {line}: expected a JSON object",
    "classifier.model.missing": "classifier model directory {path} does not exist",
    "classifier.labels.not_in_file": "labels given with --map do not occur in the file: {labels}",
    "classifier.labels.bad_code": "category codes given with --map are not valid: {codes}; valid codes: {allowed}",
    "classifier.eval.examples": "examples",
    "classifier.eval.accuracy": "accuracy",
    "classifier.eval.macro_f1": "macro-F1",
    "classifier.eval.label": "label",
    "classifier.eval.precision": "precision",
    "classifier.eval.recall": "recall",
    "classifier.eval.f1": "f1",
    "classifier.eval.support": "support",
    "classifier.eval.confusion": "confusion matrix (rows: true label, columns: predicted)",
    "classifier.eval.unknown_labels": "labels the model does not know: {labels}",
    "classifier.lexicon.cannot_read": "cannot read lexicon {source}: {error}",
    "classifier.lexicon.bad_toml": "lexicon {source} is not valid TOML: {error}",
    "classifier.lexicon.invalid": "lexicon {source}: {error}",
    "classifier.lexicon.problems": "lexicon {source}: {count} problem(s):\n  {lines}",
    "classifier.lexicon.no_categories": "no [categories.*] section (at least one category is needed)",
    "classifier.lexicon.unknown_category": "{where}: unknown category {value}; the categories are {allowed}",
    "classifier.lexicon.unknown_severity": "{where}: unknown severity {value}; the severities are {allowed}",
    "classifier.lexicon.unknown_intent": "{where}: unknown intent {value}; the intents are {allowed}",
    "classifier.lexicon.bad_number": "{where}: {value} is not a number",
    "classifier.lexicon.not_table": "{where}: must be a table",
}


def register_catalogue() -> None:
    """Add these entries to `intake.messages` (idempotent)."""
    register("zh", ZH)
    register("en", EN)


register_catalogue()
