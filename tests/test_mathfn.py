"""toolkit.mathfn (logit, expit, Student's t quantile without scipy) against scipy.

The functions exist so that ``simulate`` need not import scipy; their contract is scipy's values.
Tolerances: scalar logit is scipy's formula in the same double operations, so equal; the array
forms use numpy's log/log1p/exp, which may differ from scipy's libm by an ulp or two (4e-15
relative bounds it); the t quantile sums A&S 26.7.3-4, whose rounding grows with df, and its error is the CDF's
rounding divided by the density near the 99.95% tail (and amplified by tan near pi/2 at df 1):
over a dense grid of this test's domain the largest relative error found was 2.5e-13 (p 0.9994,
df 294; 1.15e-13 at p 0.9995, df 266, which Hypothesis found in CI against a 1e-13 tolerance), so
5e-13 bounds it with a factor of two. p starts at 0.55 (confidence 10%): nearer 1/2 the quantile
is near 0 and ``2p - 1`` loses the relative precision; beyond 0.9995 (confidence 99.9%) ``1 - p``
does (the toolkit asks for 0.95-0.995, where the largest error found was 3.3e-14).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from toolkit.mathfn import expit, logit, t_quantile

probabilities = st.floats(min_value=1e-300, max_value=1 - 1e-16, allow_subnormal=False)


@settings(max_examples=300, deadline=None)
@given(
    x=probabilities,
    xs=st.lists(probabilities, min_size=1, max_size=50),
    z=st.floats(-700, 700),
    p=st.floats(0.55, 0.9995),
    df=st.integers(1, 300),
)
def test_parity_with_scipy(x, xs, z, p, df):
    assert logit(x) == float(special.logit(x))
    assert logit(0.62) == float(special.logit(0.62))  # the census's RISK_CENTRE
    a = np.array(xs)
    np.testing.assert_allclose(logit(a), special.logit(a), rtol=4e-15, atol=4e-16)
    np.testing.assert_allclose(expit(z), special.expit(z), rtol=4e-15, atol=0)
    np.testing.assert_allclose(expit(a - 0.5), special.expit(a - 0.5), rtol=4e-15, atol=0)
    assert t_quantile(p, df) == pytest.approx(float(special.stdtrit(df, p)), rel=5e-13, abs=0)


@pytest.mark.parametrize("p, df", [(0.5, 3), (1.0, 3), (0.9, 0), (0.9, 2.5)])
def test_t_quantile_refuses_bad_arguments(p, df):
    with pytest.raises(ValueError, match="t_quantile needs"):
        t_quantile(p, df)
