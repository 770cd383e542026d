"""The server's views, one module per kind of answer; :mod:`csec_ld.server.app` maps
paths to them in its route table.

==============  ==========================================================
``files``       the site's files and the IRIs that negotiate among them
``sparql``      ``/sparql``: the SPARQL 1.1 Protocol endpoint
``api``         ``/api/queries``: the named queries as a JSON API
``openapi``     the API described: its query list and OpenAPI document
``pages``       the workbench's pages: queries, forms, the API readable
``oai``         ``/oai``: OAI-PMH over the site's records
==============  ==========================================================
"""
