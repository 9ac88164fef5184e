"""jupyter_kernel_test (Debian's python3-jupyter-kernel-test) against the installed camlab kernelspec.

Every sample that applies to a TypeScript kernel is enabled. Not applicable:
* code_page_something: the pager payload is IPython's `obj?` syntax; TypeScript has no help
  operator (documentation is served by inspect_request, tested through code_inspect_sample).
"""
import os
import unittest

import jupyter_kernel_test

HERE = os.path.dirname(os.path.abspath(__file__))


class CamlabKernelConformance(jupyter_kernel_test.KernelTests):
    kernel_name = "camlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("to stderr")'

    completion_samples = [
        # Members of a value declared in an earlier cell would need state; these need none.
        {"text": "Math.fl", "matches": {"floor"}},
        {"text": "JSON.stri", "matches": {"stringify"}},
        {"text": "[1, 2].fil", "matches": {"fill", "filter"}},
    ]
    complete_code_samples = ["1 + 1", "let a = 1;", "function f() { return 1; }", "if (true) { console.log(1); }"]
    incomplete_code_samples = ["function f() {", "if (true) {", "let xs = [1,", "console.log("]
    invalid_code_samples = ["let 5 = x;", "1 +* 2", ")", "}"]
    incomplete_code_samples += ["`unfinished template", "/* open comment"]

    code_generate_error = 'throw new Error("deliberate")'
    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": '"a" + "b"', "result": "'ab'"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        {"code": "({ a: 1 })", "result": "{ a: 1 }"},
    ]
    code_display_data = [
        {"code": 'display({ [Symbol.for("Jupyter.display")]: () => ({ "text/html": "<b>x</b>" }) })', "mime": "text/html"},
        {"code": 'display("plain text")', "mime": "text/plain"},
        {"code": 'display({ [Symbol.for("Jupyter.display")]: () => ({ data: { "image/png": new Uint8Array([137, 80, 78, 71]) }, metadata: {} }) })', "mime": "image/png"},
    ]
    code_history_pattern = "1 +*"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Math.max"
    code_clear_output = "clearOutput()"


if __name__ == "__main__":
    unittest.main()
