"""Reference solutions of the exercises in tutorials/exercises/.

Please try the exercise first. Writing it yourself, with the checker's messages and hints
(``tinygrad-rnn check ex01``), teaches far more than reading an answer. Come back here to
compare once your version passes — there is more than one good answer.
"""
