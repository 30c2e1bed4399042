"""The project's default seed, defined once (every command, write-up and stored artefact that
does not take a seed from the user uses it).

The value is the census date of Study 1 (31 March 2014), written as a number so that it reads
as the date the published cohort describes; any other integer would do as well.
"""

from __future__ import annotations

#: The default seed: the committed write-ups, the stored census, the sweep's cohort and the
#: demo all draw with it unless given another.
DEFAULT_SEED = 20140331

#: The practitioner side's seed: the shipped default scorer was fitted with it
#: (``recall-toolkit fit-scorer``) and the template command's example caseload is drawn with it.
#: Any integer would do; it stays fixed so the shipped scorer can be refitted byte for byte.
SCORER_SEED = 20261125
