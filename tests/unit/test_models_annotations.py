"""The entities' annotations are objects, not strings SQLAlchemy would eval at every start."""

from __future__ import annotations

from vmi_desktop.models import Base


def test_every_entity_declares_its_columns_with_evaluated_annotations() -> None:
    entities = [mapper.class_ for mapper in Base.registry.mappers]
    assert len(entities) > 20
    strings = {
        f"{cls.__name__}.{name}"
        for cls in entities
        for name, annotation in vars(cls).get("__annotations__", {}).items()
        if isinstance(annotation, str)
    }
    assert strings == set()
