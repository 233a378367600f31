"""The wire layer: each record declared once, and everything derived from it.

``schema`` (how a field is declared), ``records`` (the declarations), ``decode`` and
``encode`` (JSON in and out, in every shape WisePops uses), ``times`` (instants).
"""
