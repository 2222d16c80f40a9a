"""The bundled data files of this folder, installed as the resource package ``helpers._bundled``.

Read them with :func:`helpers.data.bundled_file`; see README.md here for their provenance.
"""
