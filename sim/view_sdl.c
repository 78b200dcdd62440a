/* sim/view_sdl: the viewer's window (SDL2).  The picture is drawn by
 * view_draw into a canvas and shown through a streaming texture; it is
 * redrawn only when something changed (range, size, what is under the
 * cursor), so an idle window costs nothing.
 *
 * Controls: mouse wheel zooms about the cursor (each notch x0.8), a drag
 * with the left button pans, a click pins the details of what is under
 * the cursor (another click unpins); Left/Right pan by an eighth of the
 * plot, Up/+/= zoom in x2 and Down/- zoom out about the centre, 0 or Home
 * fits the whole recording, q or Escape quits. */
#include "sim/view.h"

#include <SDL.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHEEL_STEP 0.8
#define KEY_ZOOM 2.0
#define CLICK_PX 3            /* a press and release closer than this is a click */

static const char help[] = "wheel: zoom  drag: pan  arrows +/-  0: fit  q: quit";

typedef struct win {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    vr_canvas_t canvas;
    vm_model_t *m;
    view_overlay_t ov;
    int hover, pinned;        /* a hit under the cursor; a pinned one in ov */
    vm_hit_t hover_hit;
    int drag, down_x, last_x;
    int dirty, quit;
} win_t;

static int make_surface(win_t *w, char *err, size_t errlen)
{
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    vr_free(&w->canvas);
    w->tex = SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                               w->m->w, w->m->h);
    if (!w->tex || vr_init(&w->canvas, w->m->w, w->m->h)) {
        snprintf(err, errlen, "cannot make a %dx%d picture: %s", w->m->w, w->m->h,
                 w->tex ? "out of memory" : SDL_GetError());
        return -1;
    }
    w->dirty = 1;
    return 0;
}

static void present(win_t *w)
{
    if (!w->pinned) {
        w->ov.has_hit = w->hover;
        w->ov.hit = w->hover_hit;
    }
    view_draw(w->m, &w->canvas, &w->ov);
    SDL_UpdateTexture(w->tex, NULL, w->canvas.px, w->canvas.w * (int)sizeof(uint32_t));
    SDL_RenderClear(w->ren);
    SDL_RenderCopy(w->ren, w->tex, NULL, NULL);
    SDL_RenderPresent(w->ren);
    w->dirty = 0;
}

static int same_hit(const vm_hit_t *a, const vm_hit_t *b)
{
    return a->kind == b->kind && a->track == b->track && a->index == b->index;
}

static void hover_at(win_t *w, int x, int y)
{
    vm_hit_t h;
    int has = vm_hit(w->m, x, y, &h);
    if (has != w->hover || (has && !same_hit(&h, &w->hover_hit)) || (has && !w->pinned))
        w->dirty = 1; /* the box follows the cursor */
    w->hover = has;
    if (has)
        w->hover_hit = h;
    if (!w->pinned) {
        w->ov.cx = x;
        w->ov.cy = y;
    }
}

static void on_key(win_t *w, SDL_Keycode k)
{
    vm_model_t *m = w->m;
    int mid = m->plot_x + m->plot_w / 2;
    switch (k) {
    case SDLK_q:
    case SDLK_ESCAPE: w->quit = 1; return;
    case SDLK_LEFT: vm_pan(m, m->plot_w / 8); break;
    case SDLK_RIGHT: vm_pan(m, -(m->plot_w / 8)); break;
    case SDLK_UP:
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS: vm_zoom(m, mid, 1 / KEY_ZOOM); break;
    case SDLK_DOWN:
    case SDLK_MINUS:
    case SDLK_KP_MINUS: vm_zoom(m, mid, KEY_ZOOM); break;
    case SDLK_0:
    case SDLK_KP_0:
    case SDLK_HOME: vm_fit(m); break;
    default: return;
    }
    w->dirty = 1;
}

static void on_resize(win_t *w, int width, int height, char *err, size_t errlen)
{
    /* a window smaller than the minimum keeps the last picture, scaled */
    if (vm_resize(w->m, width, height, err, errlen) == 0 && make_surface(w, err, errlen))
        w->quit = -1;
}

static void on_button(win_t *w, const SDL_MouseButtonEvent *b)
{
    if (b->button != SDL_BUTTON_LEFT)
        return;
    if (b->type == SDL_MOUSEBUTTONDOWN) {
        w->drag = 1;
        w->down_x = w->last_x = b->x;
        return;
    }
    w->drag = 0;
    if (abs(b->x - w->down_x) >= CLICK_PX)
        return;
    w->pinned = !w->pinned && w->hover;
    if (w->pinned) {
        w->ov.has_hit = 1;
        w->ov.hit = w->hover_hit;
        w->ov.cx = b->x;
        w->ov.cy = b->y;
    }
    w->dirty = 1;
}

static void on_event(win_t *w, const SDL_Event *e, char *err, size_t errlen)
{
    switch (e->type) {
    case SDL_QUIT: w->quit = 1; break;
    case SDL_KEYDOWN: on_key(w, e->key.keysym.sym); break;
    case SDL_MOUSEWHEEL: {
        int x, y;
        SDL_GetMouseState(&x, &y);
        if (e->wheel.y)
            vm_zoom(w->m, x, pow(WHEEL_STEP, e->wheel.y));
        if (e->wheel.x)
            vm_pan(w->m, -e->wheel.x * w->m->plot_w / 20);
        hover_at(w, x, y);
        w->dirty = 1;
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: on_button(w, &e->button); break;
    case SDL_MOUSEMOTION:
        if (w->drag && e->motion.x != w->last_x) {
            vm_pan(w->m, e->motion.x - w->last_x);
            w->last_x = e->motion.x;
            w->dirty = 1;
        }
        hover_at(w, e->motion.x, e->motion.y);
        break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            on_resize(w, e->window.data1, e->window.data2, err, errlen);
        else if (e->window.event == SDL_WINDOWEVENT_EXPOSED)
            w->dirty = 1;
        break;
    default: break;
    }
}

static void close_window(win_t *w)
{
    vr_free(&w->canvas);
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    SDL_Quit();
}

/* A display to open a window on: SDL falls back to its offscreen driver
 * when there is none, which would leave the viewer waiting for events
 * nobody can send.  Without DISPLAY or WAYLAND_DISPLAY there is no
 * display unless SDL_VIDEODRIVER names a driver. */
static int have_display(char *err, size_t errlen)
{
    const char *drv = getenv("SDL_VIDEODRIVER");
    if (drv && *drv)
        return 1;
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if ((x && *x) || (wl && *wl))
        return 1;
    snprintf(err, errlen, "no display (DISPLAY and WAYLAND_DISPLAY are unset): render to a file "
                          "with --png OUT.png");
    return 0;
}

int view_window(vm_model_t *m, const char *title, char *err, size_t errlen)
{
    if (!have_display(err, errlen))
        return -1;
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(err, errlen, "no display (%s): render to a file with --png OUT.png",
                 SDL_GetError());
        return -1;
    }
    const char *drv = SDL_GetCurrentVideoDriver(), *asked = getenv("SDL_VIDEODRIVER");
    if (drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy")) &&
        !(asked && !strcmp(asked, drv))) {
        snprintf(err, errlen, "no display (SDL fell back to its %s driver): render to a file "
                              "with --png OUT.png", drv);
        SDL_Quit();
        return -1;
    }
    win_t w = {.m = m, .ov = {.title = title, .help = help}};
    w.win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, m->w, m->h,
                             SDL_WINDOW_RESIZABLE);
    if (w.win)
        w.ren = SDL_CreateRenderer(w.win, -1, 0);
    if (w.win && !w.ren)
        w.ren = SDL_CreateRenderer(w.win, -1, SDL_RENDERER_SOFTWARE);
    if (!w.ren) {
        snprintf(err, errlen, "cannot open a window (%s): render to a file with --png OUT.png",
                 SDL_GetError());
        close_window(&w);
        return -1;
    }
    if (make_surface(&w, err, errlen)) {
        close_window(&w);
        return -1;
    }
    while (!w.quit) {
        if (w.dirty)
            present(&w);
        SDL_Event e;
        if (!SDL_WaitEvent(&e))
            break;
        do
            on_event(&w, &e, err, errlen);
        while (!w.quit && SDL_PollEvent(&e));
    }
    close_window(&w);
    return w.quit < 0 ? -1 : 0;
}
