/* doctor.h: the checks behind `dlstudy doctor`: the database (integrity), the notes
 * folder, the data sets, the BLAS library and CUDA, each with what to do about a
 * problem. Reads only: it never creates, repairs or writes anything. The terminal
 * checks (locale, colours) live in tui/cmd_doctor.c. */
#ifndef STUDY_DOCTOR_H
#define STUDY_DOCTOR_H

#include "study/paths.h"

typedef enum doctor_level { DOCTOR_OK, DOCTOR_INFO, DOCTOR_WARN, DOCTOR_FAIL } doctor_level;

typedef struct doctor_item {
    doctor_level level;
    char         topic[24];   /* "database", "notes", "data", "blas", "cuda", ... */
    char        *what;        /* what was found (owned) */
    char        *advice;      /* what to do, or NULL when nothing is to be done (owned) */
} doctor_item;

typedef struct doctor_report {
    doctor_item *items;
    size_t       n;
} doctor_report;

/* Runs every check; never fails (a check that cannot run is itself a finding). */
void doctor_run(const dls_paths *p, doctor_report *r);
/* Adds one finding (for the terminal checks of the caller). advice may be NULL. */
void doctor_add(doctor_report *r, doctor_level level, const char *topic, char *what, char *advice);
void doctor_report_deinit(doctor_report *r);
/* "ok", "info", "warning", "problem". */
const char *doctor_level_str(doctor_level l);

#endif
