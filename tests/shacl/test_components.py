"""The registry of value components: each is a SHACL Core component, and a shape made
of them alone is compiled (pySHACL's results for them: tests/shacl/test_compiled.py)."""

from __future__ import annotations

import rdflib
from rdflib.namespace import SH

from csec_ld.shacl import compile_shapes
from csec_ld.shacl.components import VALUE_COMPONENTS, VALUE_PARAMS


def test_every_value_component_is_a_shacl_core_component() -> None:
    for component in VALUE_COMPONENTS:
        # rdflib's SH is closed: an unknown name raises
        assert str(SH[component.name + "ConstraintComponent"]) == component.iri
        assert component.parameter in VALUE_PARAMS


def test_a_shape_of_value_components_is_compiled_not_left_to_pyshacl() -> None:
    graph = rdflib.Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
          sh:property [ sh:path ex:p ; sh:nodeKind sh:Literal ; sh:minLength 1 ;
                        sh:maxLength 9 ; sh:pattern "^a" ; sh:flags "i" ;
                        sh:in ( "a" "ab" ) ; sh:message "p" ] ;
          sh:message "s" .
        """,
        format="turtle",
    )
    compiled = compile_shapes(graph)
    assert compiled.fallback == {}
    assert not compiled.everything_falls_back


def test_a_parameter_no_component_compiles_falls_back_to_pyshacl() -> None:
    """What the registry does not hold is left to pySHACL, never skipped: the compiled
    parameters are derived from the registry."""
    graph = rdflib.Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:message "s" ;
          sh:property [ sh:path ex:p ; sh:hasValue "a" ; sh:message "p" ] .
        """,
        format="turtle",
    )
    assert list(compile_shapes(graph).fallback.values()) != []
