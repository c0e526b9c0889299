"""Run-time hook of the bundle: empty stand-ins for Qt modules the bundle leaves out.

pyqtgraph imports ``PySide6.QtOpenGL`` when it is imported (PColorMeshItem names OpenGL classes
for its optional GL drawing, which the app never turns on). The binding is 8.5 MB, so the bundle
leaves it out and this finder answers that one import with an empty module, only after the real
finders found nothing. Anything that really uses it fails with AttributeError, never silently.
"""

import importlib.abc
import importlib.machinery
import sys
import types

_STANDINS = {"PySide6.QtOpenGL"}


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in _STANDINS:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__doc__ = "left out of the VMI Desktop bundle (see packaging/rthooks)"
        return module

    def exec_module(self, module):
        return None


sys.meta_path.append(_StandInFinder())
