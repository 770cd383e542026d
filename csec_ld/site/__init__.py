"""The published site: files → site, and what harvesters read from it.

================  ==========================================================
``publish``       the site: record pages and data files (written by the
                  pipeline's workers), paged listings, Hydra pages, sitemaps
``incremental``   republishing only what changed (manifest, hard links)
``search``        the Pagefind index and ``search.html``
``citations``     BibTeX, RIS, CSL-JSON and the rendered citation styles
``signposting``   FAIR Signposting links of a record
``webconfig``     nginx and Apache configurations for a static host
``changes``       the change feed (``changes/``)
``ldes``          the Linked Data Event Stream (``ldes/``)
``oai``           OAI-PMH over the site's ``source/`` records
================  ==========================================================

:func:`csec_ld.publish` (the public API) is :func:`csec_ld.site.publish.publish`.
"""
