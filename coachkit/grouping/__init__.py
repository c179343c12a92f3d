"""Flexible grouping: need-based small groups that change every cycle, and the checks
that show whether grouping has quietly become tracking.

    g = ck.grouping.flexible_groups(frontier, min_size=3, max_size=6, targets=ds.targets)
    g = ck.grouping.flexible_groups(frontier, method="need", mastery=m, targets=ds.targets,
                                    grade=3)   # every member needs and is ready for the focus
    ck.grouping.needs(m, ds.targets, students, subject="math", grade=3)  # next steps, gaps
    g = ck.grouping.move_student(g, "S017", 2, changed_by="Ms. Lee")
    p = ck.grouping.peer_groups(frontier, targets=ds.targets)
    ck.grouping.fluidity(history)          # history: groups of several cycles + cycle_id
    ck.grouping.stuck_students(history)
    ck.grouping.composition(g, ds.students, min_n=10, suppress=False)
    ck.grouping.adjusted_rand_index(labels_a, labels_b)
    a = ck.grouping.assign_block(m, ds.targets, students, ds.cycles, cycle=4,
                                 classrooms=ds.classrooms)   # the grade's targeted-time block
    ck.grouping.block_fluidity(history); ck.grouping.block_stuck(history)

See docs/block.md for the block.

See docs/grouping.md.
"""
from __future__ import annotations

from .block import (assign_block, block_fluidity, block_need, block_rooms, block_stuck,
                    default_rooms, unmet_need)
from .groups import flexible_groups, move_student, peer_groups
from .metrics import adjusted_rand_index
from .need import needs
from .partition import partition_sorted
from .tracking import composition, fluidity, stuck_students

__all__ = ["flexible_groups", "move_student", "peer_groups", "needs", "adjusted_rand_index",
           "fluidity", "stuck_students", "composition", "partition_sorted", "assign_block",
           "block_need", "default_rooms", "block_rooms", "block_fluidity", "block_stuck",
           "unmet_need"]
