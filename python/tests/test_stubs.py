"""The type stubs (__init__.pyi) describe what the package has, and every public call has a docstring."""

import ast
import inspect
import io
import pathlib

import shmring

STUB = pathlib.Path(shmring.__file__).with_name("__init__.pyi")


def stub_names():
    tree = ast.parse(STUB.read_text())
    functions, classes = set(), {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions.add(node.name)
        elif isinstance(node, ast.ClassDef):
            members = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
            members |= {item.target.id for item in node.body if isinstance(item, ast.AnnAssign)}
            members |= {target.id for item in node.body if isinstance(item, ast.Assign) for target in item.targets}
            for base in node.bases:
                if isinstance(base, ast.Name) and base.id in classes:
                    members |= classes[base.id]
            classes[node.name] = members
    return functions, classes


def public(names):
    return {name for name in names if not name.startswith("_")}


def test_every_public_name_of_the_package_is_in_the_stubs():
    functions, classes = stub_names()
    for name in shmring.__all__:
        assert name in functions or name in classes, f"{name} is not in __init__.pyi"


def test_every_public_member_of_each_class_is_in_the_stubs_with_a_docstring():
    _, classes = stub_names()
    for name in ("Queue", "Topic", "Service", "Loan", "Message", "Pipe", "Cell", "Lock", "Semaphore"):
        cls = getattr(shmring, name)
        own = public(vars(cls)) | {member for base in cls.__mro__ if base.__module__.startswith("shmring")
                                   for member in public(vars(base))}
        if name == "Pipe":  # beyond what every io.RawIOBase has
            own = public(vars(cls)) - public(dir(io.RawIOBase))
        missing = own - classes[name]
        assert not missing, f"{name}: {sorted(missing)} not in __init__.pyi"
        for member in own:
            assert inspect.getdoc(getattr(cls, member)), f"{name}.{member} has no docstring"
        assert inspect.getdoc(cls)
