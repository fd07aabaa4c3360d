"""Reply scripts (话术): keys with fallbacks, derived variables, sandboxed rendering, versions."""

from router.scripts.book import ScriptBook, default_scripts, parse_script_file
from router.scripts.keys import ScriptKey
from router.scripts.variables import Directory, build_variables, complaint_variables, promise, salutation

__all__ = [
    "Directory",
    "ScriptBook",
    "ScriptKey",
    "build_variables",
    "complaint_variables",
    "default_scripts",
    "parse_script_file",
    "promise",
    "salutation",
]
