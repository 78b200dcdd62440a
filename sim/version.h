/* sim/version: the version numbers parasim carries (DESIGN.md: the HAL,
 * the config format and the timeline format each carry one). */
#ifndef PARASIM_SIM_VERSION_H
#define PARASIM_SIM_VERSION_H

#define PARASIM_VERSION "0.1.0"
#define RESULTS_FORMAT 1 /* bump when a results.json field changes meaning */

#endif
