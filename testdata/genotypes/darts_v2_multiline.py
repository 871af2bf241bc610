# DARTS_V2 laid out the way cnn/genotypes.py of quark0/darts lays out its
# NASNet and AmoebaNet entries: one pair per line, spaces around '=',
# trailing commas, a comment per step.
DARTS_V2 = Genotype(
  normal = [
    ('sep_conv_3x3', 0), # node 0
    ('sep_conv_3x3', 1),
    ('sep_conv_3x3', 0), # node 1
    ('sep_conv_3x3', 1),
    ('sep_conv_3x3', 1), # node 2
    ('skip_connect', 0),
    ('skip_connect', 0), # node 3
    ('dil_conv_3x3', 2),
  ],
  normal_concat = [2, 3, 4, 5],
  reduce = [
    ('max_pool_3x3', 0),
    ('max_pool_3x3', 1),
    ('skip_connect', 2),
    ('max_pool_3x3', 1),
    ('max_pool_3x3', 0),
    ('skip_connect', 2),
    ('skip_connect', 2),
    ('max_pool_3x3', 1),
    ],
  reduce_concat = range(2, 6),
)
