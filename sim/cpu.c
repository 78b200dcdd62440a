/* sim/cpu: core accounts (see cpu.h). */
#include "sim/cpu.h"

#include <string.h>

static const char *const mode_names[CPU_MODES] = {
    [CPU_USER] = "user",
    [CPU_KERNEL] = "kernel",
    [CPU_IRQ] = "irq",
    [CPU_POLL] = "poll",
    [CPU_IDLE] = "idle",
};

void cpu_init(cpu_t *c, unsigned id)
{
    memset(c, 0, sizeof *c);
    c->id = id;
}

void cpu_window_open(cpu_t *c, sim_time_t now)
{
    memcpy(c->win_acct[0], c->acct, sizeof c->acct);
    c->win_time[0] = now;
    c->win_closed = false;
}

void cpu_window_close(cpu_t *c, sim_time_t now)
{
    memcpy(c->win_acct[1], c->acct, sizeof c->acct);
    c->win_time[1] = now;
    c->win_closed = true;
}

void cpu_utilisation(const cpu_t *c, double out[CPU_MODES])
{
    double busy = 0;
    for (int m = 0; m < CPU_MODES; m++)
        out[m] = 0;
    if (!c->win_closed || c->win_time[1] <= c->win_time[0])
        return;
    double window = (double)(c->win_time[1] - c->win_time[0]);
    for (int m = 0; m < CPU_MODES; m++) {
        if (m == CPU_IDLE)
            continue;
        out[m] = (double)(c->win_acct[1][m] - c->win_acct[0][m]) / window;
        busy += out[m];
    }
    out[CPU_IDLE] = busy < 1 ? 1 - busy : 0;
}

const char *cpu_mode_name(cpu_mode_t m)
{
    return (unsigned)m < CPU_MODES ? mode_names[m] : "?";
}
